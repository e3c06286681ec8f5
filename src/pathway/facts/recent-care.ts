import type { PathwayConfig } from '../config.js';
import { monthsBefore } from '../time.js';
import { VS } from '../value-set-ids.js';
import type { EventEntry, PatientRecord } from '../../record/types.js';
import { within } from './dates.js';

const PENDING_ORDER = new Set(['active', 'on-hold', 'completed']);

/** A referral or injection that was done, or is ordered and pending. */
export function doneOrPending(e: EventEntry): boolean {
  if (e.draft) return false;
  if (e.resourceType === 'Procedure') return e.status === 'completed' || e.status === 'in-progress';
  if (e.resourceType === 'ServiceRequest') return PENDING_ORDER.has(e.status);
  return false;
}

/** docs/clinical-spec.md §3 intra-articular-corticosteroid: hip joint injections done or pending within injectionLookbackMonths. */
export function recentHipInjections(record: PatientRecord, config: PathwayConfig): EventEntry[] {
  const since = monthsBefore(record.now, config.injectionLookbackMonths);
  return record.events.filter((e) => e.sets.has(VS.hipJointInjection) && doneOrPending(e) && within(e.date, since));
}

/** docs/clinical-spec.md §3 orthopedic-referral: referrals to orthopaedics done or pending within lookbackMonths. */
export function recentOrthopedicReferrals(record: PatientRecord, config: PathwayConfig): EventEntry[] {
  const since = monthsBefore(record.now, config.lookbackMonths);
  return record.events.filter((e) => e.sets.has(VS.orthopedicReferral) && doneOrPending(e) && within(e.date, since));
}
