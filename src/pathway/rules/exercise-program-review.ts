import { C } from '../conditions.js';
import { PATIENT_VIEW_SETS } from '../value-set-ids.js';
import type { RuleOf } from '../rule.js';

/** exercise-program-review [info] — docs/clinical-spec.md §3. The card: cards/exercise-program-review.yaml. */
export const exerciseProgramReview: RuleOf<'exercise-program-review'> = {
  topic: 'exercise-program-review',
  hooks: 'patient-view',
  valueSets: [...PATIENT_VIEW_SETS],
  needs: ['Observation', 'Procedure', 'ServiceRequest'],
  when: [C.activeEpisode, C.therapyForReviewWeeks, C.notImproving],
  unless: [],
  offers: [],
  evaluate: () => ({ topic: 'exercise-program-review', evidence: {}, suggestions: [] }),
};
