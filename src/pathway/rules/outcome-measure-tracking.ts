import type { Rule } from '../rule.js';

/**
 * outcome-measure-tracking [info] — PATHWAY §3.
 * Fires: exercise therapy exists and no PROM (HOOS, HOOS JR, iHOT, HAGOS, 0-10 pain) in the last 6 weeks.
 * Source: "Use patient-reported outcome measures (PROMs) such as HAGOS or IHOT ... Reassess at 4-6 week
 * intervals" (seed 000).
 */
export const outcomeMeasureTracking: Rule = {
  topic: 'outcome-measure-tracking',
  hooks: 'patient-view',
  evaluate({ facts }) {
    if (facts.exerciseTherapy.length === 0 || facts.promWithinRecentWindow) return null;
    return { topic: 'outcome-measure-tracking', evidence: {}, suggestions: [] };
  },
};
