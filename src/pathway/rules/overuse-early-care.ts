import { C } from '../conditions.js';
import { PATIENT_VIEW_SETS } from '../value-set-ids.js';
import type { RuleOf } from '../rule.js';

/** overuse-early-care [info] — docs/clinical-spec.md §3. The card: cards/overuse-early-care.yaml. */
export const overuseEarlyCare: RuleOf<'overuse-early-care'> = {
  topic: 'overuse-early-care',
  hooks: 'patient-view',
  valueSets: [
    ...PATIENT_VIEW_SETS,
    'medication-nsaid',
    'peptic-ulcer',
    'gi-bleeding',
    'medication-anticoagulant-antiplatelet',
    'medication-systemic-corticosteroid',
  ],
  needs: ['Condition', 'Procedure', 'ServiceRequest'],
  when: [C.activeEpisode, C.earlyOveruseInjury],
  unless: [],
  offers: ['refer-physical-therapy'],
  suggests: 'a physical therapy referral, only when no exercise therapy exists.',
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
