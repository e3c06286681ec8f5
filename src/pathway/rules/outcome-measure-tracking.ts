import type { Rule } from '../rule.js';

/** outcome-measure-tracking [info] — PATHWAY §3. The card: cards/outcome-measure-tracking.yaml. */
export const outcomeMeasureTracking: Rule = {
  topic: 'outcome-measure-tracking',
  hooks: 'patient-view',
  valueSets: ['hip-pain', 'hip-osteoarthritis', 'femoroacetabular-impingement', 'acetabular-labral-tear', 'hip-dysplasia', 'greater-trochanteric-pain-syndrome', 'gluteal-tendinopathy', 'gluteus-medius-tear', 'hip-strain', 'hip-fracture', 'prom', 'exercise-therapy'],
  needs: ['Observation', 'Procedure', 'ServiceRequest'],
  about: {
    fires: 'exercise therapy exists and no PROM (HOOS, HOOS JR, iHOT, HAGOS, 0-10 pain) in the last 6 weeks.',
  },
  evaluate({ facts }) {
    if (facts.exerciseTherapy.length === 0 || facts.promWithinRecentWindow) return null;
    return { topic: 'outcome-measure-tracking', evidence: {}, suggestions: [] };
  },
};
