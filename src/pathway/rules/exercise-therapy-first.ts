import type { Rule } from '../rule.js';

/** exercise-therapy-first [info] — PATHWAY §3. The card: cards/exercise-therapy-first.yaml. */
export const exerciseTherapyFirst: Rule = {
  topic: 'exercise-therapy-first',
  hooks: 'patient-view',
  valueSets: ['hip-pain', 'hip-osteoarthritis', 'femoroacetabular-impingement', 'acetabular-labral-tear', 'hip-dysplasia', 'greater-trochanteric-pain-syndrome', 'gluteal-tendinopathy', 'gluteus-medius-tear', 'hip-strain', 'hip-fracture', 'prom', 'exercise-therapy'],
  needs: ['Condition', 'Procedure', 'ServiceRequest'],
  about: {
    fires: 'a hip condition and no exercise therapy since the episode started.',
    notWhen: 'an overuse injury is younger than 6 weeks (overuse-early-care covers it).',
  },
  evaluate({ facts }) {
    if (facts.hipConditions.length === 0 || facts.exerciseTherapy.length > 0) return null;
    if (facts.earlyOveruseInjuries.length > 0) return null;
    return { topic: 'exercise-therapy-first', evidence: {}, suggestions: [{ id: 'refer-physical-therapy' }] };
  },
};
