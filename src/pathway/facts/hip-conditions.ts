import { wholeWeeksBetween } from '../time.js';
import { HIP_CONDITION_SETS, inAny, STRUCTURAL_SETS, VS } from '../value-set-ids.js';
import type { ConditionEntry, PatientRecord } from '../../record/types.js';
import { earliest } from './dates.js';

/** docs/clinical-spec.md §2 hip condition: an active Condition in the hip set. */
export function hipConditions(record: PatientRecord): ConditionEntry[] {
  return record.conditions.filter((c) => c.active && inAny(c.sets, HIP_CONDITION_SETS));
}

/** docs/clinical-spec.md §2 episode start: the earliest onset among the active hip conditions. */
export function episodeStart(conditions: readonly ConditionEntry[]): Date | undefined {
  return earliest(conditions, (c) => c.onset)?.onset;
}

export function weeksSince(start: Date | undefined, now: Date): number | undefined {
  return start !== undefined ? wholeWeeksBetween(start, now) : undefined;
}

/** Specificity order for the condition a suggestion names as its reason. */
const MAIN_CONDITION_ORDER: readonly string[] = [
  ...STRUCTURAL_SETS, // OA, FAI, labral tear, dysplasia, gluteus medius tear
  VS.gtps,
  VS.glutealTendinopathy,
  VS.hipStrain,
  VS.hipPain,
];

/** The hip condition suggestions name as their reason (reasonReference): the most specific, then the earliest. */
export function mainHipCondition(conditions: readonly ConditionEntry[]): ConditionEntry | undefined {
  for (const set of MAIN_CONDITION_ORDER) {
    const candidates = conditions.filter((c) => c.sets.has(set));
    const main = earliest(candidates, (c) => c.onset) ?? candidates[0];
    if (main !== undefined) return main;
  }
  return undefined;
}
