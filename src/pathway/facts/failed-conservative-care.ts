import type { PathwayConfig } from '../config.js';
import { monthsBefore } from '../time.js';

/**
 * docs/clinical-spec.md §2 failed conservative care: persistent hip pain and exercise therapy started at least
 * failedCareMonths ago. Analgesics alone are never enough.
 */
export function failedConservativeCare(
  facts: { persistentHipPain: boolean; therapyStart?: Date },
  now: Date,
  config: PathwayConfig,
): boolean {
  const { therapyStart } = facts;
  return (
    facts.persistentHipPain &&
    therapyStart !== undefined &&
    therapyStart.getTime() <= monthsBefore(now, config.failedCareMonths).getTime()
  );
}
