import { C } from '../conditions.js';
import { PATIENT_VIEW_SETS } from '../value-set-ids.js';
import type { RuleOf } from '../rule.js';

/** hip-preservation-referral [info] — docs/clinical-spec.md §3. The card: cards/hip-preservation-referral.yaml. */
export const hipPreservationReferral: RuleOf<'hip-preservation-referral'> = {
  topic: 'hip-preservation-referral',
  hooks: 'patient-view',
  valueSets: [...PATIENT_VIEW_SETS, 'orthopedic-referral'],
  needs: ['Condition', 'Observation', 'MedicationRequest', 'Medication', 'Procedure', 'ServiceRequest', 'DiagnosticReport'],
  when: [C.activeEpisode, C.hipPreservationDiagnosis, C.failedConservativeCare],
  unless: [C.hipOsteoarthritis, C.recentOrthopedicReferral],
  offers: ['refer-hip-preservation'],
  suggests: 'a referral to an orthopaedic (hip preservation / sports) surgeon.',
  evaluate: ({ facts }) => ({
    topic: 'hip-preservation-referral',
    evidence: { diagnoses: facts.hipPreservationDiagnoses },
    suggestions: [{ id: 'refer-hip-preservation' }],
  }),
};
