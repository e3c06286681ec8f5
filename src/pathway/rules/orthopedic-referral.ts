import { C } from '../conditions.js';
import { PATIENT_VIEW_SETS } from '../value-set-ids.js';
import type { RuleOf } from '../rule.js';

/** orthopedic-referral [info] — docs/clinical-spec.md §3. The card: cards/orthopedic-referral.yaml. */
export const orthopedicReferral: RuleOf<'orthopedic-referral'> = {
  topic: 'orthopedic-referral',
  hooks: 'patient-view',
  valueSets: [
    ...PATIENT_VIEW_SETS,
    'orthopedic-referral',
    'medication-nsaid',
    'medication-acetaminophen',
    'medication-duloxetine',
  ],
  needs: ['Condition', 'Observation', 'MedicationRequest', 'Medication', 'Procedure', 'ServiceRequest', 'DiagnosticReport'],
  when: [C.activeEpisode, C.hipOsteoarthritis, C.failedConservativeCare],
  unless: [C.recentOrthopedicReferral],
  offers: ['refer-orthopedics'],
  suggests: 'a referral to an orthopaedic surgeon.',
  evaluate: () => ({ topic: 'orthopedic-referral', evidence: {}, suggestions: [{ id: 'refer-orthopedics' }] }),
};
