import type { PathwayConfig } from '../config.js';
import { VS } from '../value-set-ids.js';
import type { PatientRecord } from '../../record/types.js';
import { currentOf } from './medications.js';
import type { GiRiskFactor } from './types.js';

/**
 * docs/clinical-spec.md §2 GI risk factor: age >= giRiskAge; a history (any clinical status) of peptic ulcer or
 * GI bleeding; a current anticoagulant or antiplatelet (aspirin included); a current systemic corticosteroid.
 */
export function giRiskFactors(record: PatientRecord, age: number | undefined, config: PathwayConfig): GiRiskFactor[] {
  const out: GiRiskFactor[] = [];
  if (age !== undefined && age >= config.giRiskAge) out.push({ kind: 'age' });
  for (const c of record.conditions) {
    if (!c.valid) continue;
    if (c.sets.has(VS.pepticUlcer)) out.push({ kind: 'peptic-ulcer', entry: c });
    else if (c.sets.has(VS.giBleeding)) out.push({ kind: 'gi-bleeding', entry: c });
  }
  for (const m of currentOf(record, VS.antithrombotic)) out.push({ kind: 'antithrombotic', entry: m });
  for (const m of currentOf(record, VS.systemicCorticosteroid)) out.push({ kind: 'systemic-corticosteroid', entry: m });
  return out;
}
