import { C } from '../conditions.js';
import type { RuleOf } from '../rule.js';

/** exercise-program-review [info] — docs/clinical-spec.md §3. The card: cards/exercise-program-review.yaml. */
export const exerciseProgramReview: RuleOf<'exercise-program-review'> = {
  topic: 'exercise-program-review',
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
  when: [C.activeEpisode, C.therapyForReviewWeeks, C.notImproving],
  unless: [],
  offers: [],
  evaluate: () => ({ topic: 'exercise-program-review', evidence: {}, suggestions: [] }),
};
