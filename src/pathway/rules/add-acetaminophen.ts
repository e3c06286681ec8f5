import { C } from '../conditions.js';
import { regimenWithin } from '../dosing.js';
import { PATIENT_VIEW_SETS } from '../value-set-ids.js';
import type { RuleOf } from '../rule.js';

/** add-acetaminophen [info] — docs/clinical-spec.md §3. The card: cards/add-acetaminophen.yaml. */
export const addAcetaminophen: RuleOf<'add-acetaminophen'> = {
  topic: 'add-acetaminophen',
  hooks: 'patient-view',
  valueSets: [...PATIENT_VIEW_SETS, 'medication-nsaid', 'medication-acetaminophen', 'chronic-liver-disease'],
  needs: ['Condition', 'Observation', 'MedicationRequest', 'Medication'],
  when: [C.activeEpisode, C.persistentHipPain, C.currentNsaid, C.noCurrentAcetaminophen],
  unless: [],
  offers: ['order-acetaminophen'],
  suggests:
    "scheduled acetaminophen, the first configured schedule within the patient's daily maximum (1000 mg every 8 hours; with chronic liver disease within 2 g/day).",
  evaluate({ facts, config }) {
    const regimen = regimenWithin(config.acetaminophen.regimens, facts.acetaminophenMaxDailyMg);
    if (regimen === undefined) return null;
    return {
      topic: 'add-acetaminophen',
      evidence: { regimen },
      suggestions: [{ id: 'order-acetaminophen', values: { regimen } }],
    };
  },
};
