import { C } from '../conditions.js';
import type { RuleOf } from '../rule.js';

/** advanced-imaging-for-surgical-planning [info] — docs/clinical-spec.md §3. The card: cards/advanced-imaging-for-surgical-planning.yaml. */
export const advancedImagingForSurgicalPlanning: RuleOf<'advanced-imaging-for-surgical-planning'> = {
  topic: 'advanced-imaging-for-surgical-planning',
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
    'hip-mri',
    'hip-mr-arthrogram',
    'hip-ct-arthrogram',
  ],
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
