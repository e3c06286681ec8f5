import type { Rule } from '../rule.js';

/**
 * exercise-therapy-first [info] — PATHWAY §3.
 * Fires: a hip condition and no exercise therapy since the episode started.
 * Not when: an overuse injury is younger than 6 weeks (overuse-early-care covers it).
 * Source: "Exercise therapy is the most effective treatment ... and should be prioritized" (seed 001); a program
 * "should last a minimum of 3 months" (seed 000).
 */
export const exerciseTherapyFirst: Rule = {
  topic: 'exercise-therapy-first',
  hooks: 'patient-view',
  evaluate({ facts }) {
    if (facts.hipConditions.length === 0 || facts.exerciseTherapy.length > 0) return null;
    if (facts.earlyOveruseInjuries.length > 0) return null;
    return { topic: 'exercise-therapy-first', evidence: {}, suggestions: [{ id: 'refer-physical-therapy' }] };
  },
};
