import type { PathwayConfig } from '../config.js';
import { weeksBefore } from '../time.js';

/**
 * docs/clinical-spec.md §2 persistent hip pain: an active episode that started at least persistentPainWeeks ago,
 * the patient is not improving, and the pain is not mild.
 */
export function persistentHipPain(
  facts: { activeEpisode: boolean; episodeStart?: Date; improving: boolean; painNotMild: boolean },
  now: Date,
  config: PathwayConfig,
): boolean {
  const { episodeStart } = facts;
  return (
    facts.activeEpisode &&
    episodeStart !== undefined &&
    episodeStart.getTime() <= weeksBefore(now, config.persistentPainWeeks).getTime() &&
    !facts.improving &&
    facts.painNotMild
  );
}
