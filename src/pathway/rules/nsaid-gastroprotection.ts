import { C } from '../conditions.js';
import { HIP_CONDITION_SETS } from '../value-set-ids.js';
import type { RuleOf } from '../rule.js';

/**
 * nsaid-gastroprotection [warning] — docs/clinical-spec.md §3, the medication-safety card: it needs no active
 * episode. The card: cards/nsaid-gastroprotection.yaml.
 */
export const nsaidGastroprotection: RuleOf<'nsaid-gastroprotection'> = {
  topic: 'nsaid-gastroprotection',
  hooks: 'patient-view',
  valueSets: [
    ...HIP_CONDITION_SETS,
    'hip-fracture',
    'medication-nsaid',
    'medication-ppi',
    'peptic-ulcer',
    'gi-bleeding',
    'medication-anticoagulant-antiplatelet',
    'medication-systemic-corticosteroid',
    'medication-clopidogrel',
  ],
  needs: ['Condition', 'MedicationRequest', 'Medication'],
  when: [C.hipCondition, C.currentNsaid, C.giRiskFactor],
  unless: [C.currentPpi],
  offers: ['order-ppi', 'order-pantoprazole'],
  suggests:
    'omeprazole 20 mg daily, or pantoprazole 40 mg daily when clopidogrel is current (omeprazole and esomeprazole weaken clopidogrel); with a current anticoagulant or antiplatelet the card also asks whether the NSAID is still needed.',
  evaluate({ facts }) {
    const { clopidogrel, antithrombotic } = facts.current;
    return {
      topic: 'nsaid-gastroprotection',
      evidence: { clopidogrel, antithrombotics: antithrombotic, askNsaidStillNeeded: antithrombotic.length > 0 },
      suggestions: [{ id: clopidogrel.length > 0 ? 'order-pantoprazole' : 'order-ppi' }],
    };
  },
};
