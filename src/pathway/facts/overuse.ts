import type { PathwayConfig } from '../config.js';
import { weeksBefore } from '../time.js';
import { inAny, OVERUSE_SETS } from '../value-set-ids.js';
import type { ConditionEntry } from '../../record/types.js';
import { within } from './dates.js';

/** docs/clinical-spec.md §2 overuse injury: hip strain/sprain, gluteal or hip tendinopathy, trochanteric bursitis/GTPS. */
export function overuseInjuries(hipConditions: readonly ConditionEntry[]): ConditionEntry[] {
  return hipConditions.filter((c) => inAny(c.sets, OVERUSE_SETS));
}

/** docs/clinical-spec.md §3 overuse-early-care: an overuse injury whose onset is less than overuseEarlyWeeks ago. */
export function earlyOveruseInjuries(injuries: readonly ConditionEntry[], now: Date, config: PathwayConfig): ConditionEntry[] {
  const since = weeksBefore(now, config.overuseEarlyWeeks);
  return injuries.filter((c) => within(c.onset, since));
}
