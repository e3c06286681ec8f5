import { C } from '../conditions.js';
import type { RuleOf } from '../rule.js';

/** outcome-measure-tracking [info] — docs/clinical-spec.md §3. The card: cards/outcome-measure-tracking.yaml. */
export const outcomeMeasureTracking: RuleOf<'outcome-measure-tracking'> = {
  topic: 'outcome-measure-tracking',
  hooks: 'patient-view',
  valueSets: [
    'hip-pain',
    'hip-osteoarthritis',
    'femoroacetabular-impingement',
    'acetabular-labral-tear',
    'hip-dysplasia',
    'greater-trochanteric-pain-syndrome',
    'gluteal-tendinopathy',
    'gluteus-medius-tear',
    'hip-strain',
    'hip-fracture',
    'prom',
    'exercise-therapy',
  ],
  needs: ['Observation', 'Procedure', 'ServiceRequest'],
  when: [C.activeEpisode, C.exerciseTherapy, C.noRecentProm],
  unless: [],
  offers: [],
  evaluate: () => ({ topic: 'outcome-measure-tracking', evidence: {}, suggestions: [] }),
};
