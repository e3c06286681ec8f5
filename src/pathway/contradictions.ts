import type { TopicCode } from './topics.js';

/**
 * Patient-view cards that must never be shown together (docs/clinical-spec.md §3: cards of one call do not
 * contradict each other). The first of each pair is the earlier step and is kept. The rules exclude these pairs
 * by their conditions already (a test proves it on every scenario and Synthea record); this list is the guard.
 */
export const CONTRADICTIONS: readonly (readonly [keep: TopicCode, drop: TopicCode, why: string])[] = [
  ['exercise-therapy-first', 'orthopedic-referral', 'a surgical referral beside "start exercise therapy first"'],
  ['exercise-therapy-first', 'hip-preservation-referral', 'a surgical referral beside "start exercise therapy first"'],
  ['exercise-therapy-first', 'advanced-imaging-for-surgical-planning', 'surgical planning beside "start exercise therapy first"'],
  ['exercise-therapy-first', 'exercise-program-review', 'reviewing a program that "exercise therapy first" says does not exist'],
  ['exercise-therapy-first', 'outcome-measure-tracking', 'tracking a therapy that "exercise therapy first" says does not exist'],
  ['overuse-early-care', 'orthopedic-referral', 'a surgical referral for an injury younger than the early-care window'],
  ['overuse-early-care', 'hip-preservation-referral', 'a surgical referral for an injury younger than the early-care window'],
  ['radiographs-first', 'mri-without-contrast', 'MRI beside "radiographs first"'],
  ['add-acetaminophen', 'add-duloxetine', 'duloxetine "added to acetaminophen" beside "add acetaminophen"'],
  ['orthopedic-referral', 'hip-preservation-referral', 'two surgical referrals'],
];

/** The topics to drop from one call's findings, each with the pair that drops it. */
export function contradicted(topics: readonly TopicCode[]): { drop: TopicCode; keep: TopicCode; why: string }[] {
  const present = new Set(topics);
  return CONTRADICTIONS.filter(([keep, drop]) => present.has(keep) && present.has(drop)).map(([keep, drop, why]) => ({
    keep,
    drop,
    why,
  }));
}
