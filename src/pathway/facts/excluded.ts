import type { PathwayConfig } from '../config.js';
import { VS } from '../value-set-ids.js';
import type { PatientRecord } from '../../record/types.js';
import type { ExclusionReason } from './types.js';

/** docs/clinical-spec.md §2 excluded patient: deceased, younger than adultAge, or an active hip fracture. */
export function excludedPatient(record: PatientRecord, config: PathwayConfig): ExclusionReason | undefined {
  const { age, deceased } = record.patient;
  if (deceased) return 'deceased';
  if (age !== undefined && age < config.adultAge) return 'paediatric';
  if (record.conditions.some((c) => c.active && c.sets.has(VS.hipFracture))) return 'hip-fracture';
  return undefined;
}

/** Adult and alive: acetaminophen-max-dose still judges an adult with a hip fracture. */
export function adultAlive(record: PatientRecord, config: PathwayConfig): boolean {
  const { age, deceased } = record.patient;
  return !deceased && (age === undefined || age >= config.adultAge);
}
