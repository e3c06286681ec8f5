import type { Rule } from '../rule.js';

/**
 * overuse-early-care [info] — PATHWAY §3.
 * Fires: an overuse injury (hip strain, gluteal/hip tendinopathy, trochanteric bursitis/GTPS) with onset < 6 weeks ago.
 * Suggestion: a physical therapy referral, only when no exercise therapy exists.
 * Source: seed 001 (exercise therapy first; relative rest; NSAID doses; ice; graded return; reassess at 4-6 weeks).
 */
export const overuseEarlyCare: Rule = {
  topic: 'overuse-early-care',
  hooks: 'patient-view',
  evaluate({ facts }) {
    const injury = facts.earlyOveruseInjuries[0];
    if (injury === undefined) return null;
    return {
      topic: 'overuse-early-care',
      evidence: { injury },
      suggestions: facts.exerciseTherapy.length === 0 ? [{ id: 'refer-physical-therapy' }] : [],
    };
  },
};
