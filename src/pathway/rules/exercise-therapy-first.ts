import { C } from '../conditions.js';
import { PATIENT_VIEW_SETS } from '../value-set-ids.js';
import type { RuleOf } from '../rule.js';

/** exercise-therapy-first [info] — docs/clinical-spec.md §3. The card: cards/exercise-therapy-first.yaml. */
export const exerciseTherapyFirst: RuleOf<'exercise-therapy-first'> = {
  topic: 'exercise-therapy-first',
  hooks: 'patient-view',
  valueSets: [...PATIENT_VIEW_SETS],
  needs: ['Condition', 'Procedure', 'ServiceRequest'],
  when: [C.activeEpisode, C.hipCondition, C.noExerciseTherapy],
  unless: [C.earlyOveruseInjury],
  offers: ['refer-physical-therapy'],
  suggests: 'a referral to physical therapy.',
  evaluate: () => ({ topic: 'exercise-therapy-first', evidence: {}, suggestions: [{ id: 'refer-physical-therapy' }] }),
};
