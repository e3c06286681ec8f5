import { weeksBefore } from '../time.js';
import type { Rule } from '../rule.js';

/**
 * exercise-program-review [info] — PATHWAY §3.
 * Fires: exercise therapy started >= 6 weeks ago and the patient is not improving (no PROM trend reaching the
 * minimal important change).
 * Source: "If favorable outcomes are not observed after 6 weeks, reassess rather than continuing the same
 * approach"; a program needs >= 3 months with progressive resistance (seed 000).
 */
export const exerciseProgramReview: Rule = {
  topic: 'exercise-program-review',
  hooks: 'patient-view',
  evaluate({ facts, config }) {
    const start = facts.therapyStart;
    if (start === undefined || facts.improving) return null;
    if (start.getTime() > weeksBefore(facts.now, config.programReviewWeeks).getTime()) return null;
    return { topic: 'exercise-program-review', evidence: {}, suggestions: [] };
  },
};
