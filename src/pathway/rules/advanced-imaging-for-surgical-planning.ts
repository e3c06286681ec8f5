import { C } from '../conditions.js';
import { ADVANCED_IMAGING_SETS, PATIENT_VIEW_SETS } from '../value-set-ids.js';
import type { RuleOf } from '../rule.js';

/** advanced-imaging-for-surgical-planning [info] — docs/clinical-spec.md §3. The card: cards/advanced-imaging-for-surgical-planning.yaml. */
export const advancedImagingForSurgicalPlanning: RuleOf<'advanced-imaging-for-surgical-planning'> = {
  topic: 'advanced-imaging-for-surgical-planning',
  hooks: 'patient-view',
  valueSets: [...PATIENT_VIEW_SETS, ...ADVANCED_IMAGING_SETS],
  needs: [
    'Condition',
    'Observation',
    'MedicationRequest',
    'Medication',
    'Procedure',
    'ServiceRequest',
    'DiagnosticReport',
    'ImagingStudy',
  ],
  when: [C.activeEpisode, C.surgicalPlanningDiagnosis, C.failedConservativeCare],
  unless: [C.advancedImagingOnRecord],
  offers: ['order-mr-arthrogram', 'order-ct-arthrogram'],
  suggests: 'MR arthrogram or CT arthrogram of the hip (at most one).',
  evaluate: ({ facts }) => ({
    topic: 'advanced-imaging-for-surgical-planning',
    evidence: { diagnoses: facts.surgicalPlanningDiagnoses },
    suggestions: [{ id: 'order-mr-arthrogram' }, { id: 'order-ct-arthrogram' }],
  }),
};
