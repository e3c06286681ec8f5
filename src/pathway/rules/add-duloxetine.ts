import { C } from '../conditions.js';
import { PATIENT_VIEW_SETS } from '../value-set-ids.js';
import type { RuleOf } from '../rule.js';

/** add-duloxetine [info] — docs/clinical-spec.md §3. The card: cards/add-duloxetine.yaml. */
export const addDuloxetine: RuleOf<'add-duloxetine'> = {
  topic: 'add-duloxetine',
  hooks: 'patient-view',
  valueSets: [
    ...PATIENT_VIEW_SETS,
    'medication-nsaid',
    'medication-acetaminophen',
    'medication-duloxetine',
    'medication-maoi',
    'egfr',
    'chronic-liver-disease',
    'medication-ssri',
    'medication-snri',
    'medication-tramadol',
  ],
  needs: ['Condition', 'Observation', 'MedicationRequest', 'Medication'],
  when: [C.activeEpisode, C.persistentHipPain, C.currentNsaid, C.currentAcetaminophen],
  unless: [C.currentDuloxetine, C.duloxetineContraindicated],
  offers: ['order-duloxetine'],
  suggests: 'duloxetine 30 mg once daily (to 60 mg).',
  evaluate: () => ({ topic: 'add-duloxetine', evidence: {}, suggestions: [{ id: 'order-duloxetine' }] }),
};
