import type { PathwayConfig } from '../config.js';
import { daysBefore, monthsBefore } from '../time.js';
import { VS } from '../value-set-ids.js';
import type { EventEntry, PatientRecord } from '../../record/types.js';
import { earliest, notAfter, within } from './dates.js';

const THERAPY_ORDER = new Set(['active', 'completed']);
const THERAPY_PROCEDURE = new Set(['completed', 'in-progress']);

function therapyCounts(e: EventEntry): boolean {
  if (e.draft) return false;
  if (e.resourceType === 'Procedure') return THERAPY_PROCEDURE.has(e.status);
  if (e.resourceType === 'ServiceRequest') return THERAPY_ORDER.has(e.status);
  return false;
}

/**
 * docs/clinical-spec.md §2 exercise therapy: a Procedure (completed, in-progress) or ServiceRequest (active,
 * completed) for physical or exercise therapy, dated on or after episode start minus therapyBeforeEpisodeDays.
 * Without an onset date the episode start is unknown: therapy then counts within lookbackMonths.
 */
export function exerciseTherapy(
  record: PatientRecord,
  hasHipCondition: boolean,
  start: Date | undefined,
  config: PathwayConfig,
): EventEntry[] {
  if (!hasHipCondition) return [];
  const since =
    start !== undefined ? daysBefore(start, config.therapyBeforeEpisodeDays) : monthsBefore(record.now, config.lookbackMonths);
  return record.events.filter(
    (e) => e.sets.has(VS.exerciseTherapy) && therapyCounts(e) && within(e.date, since) && notAfter(e.date, record.now),
  );
}

/** docs/clinical-spec.md §2 therapy start: the earliest date of exercise therapy. */
export function therapyStart(therapy: readonly EventEntry[]): Date | undefined {
  return earliest(therapy, (e) => e.date)?.date;
}
