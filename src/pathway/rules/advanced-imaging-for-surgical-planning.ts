import type { Rule } from '../rule.js';

/** advanced-imaging-for-surgical-planning [info] — PATHWAY §3. The card: cards/advanced-imaging-for-surgical-planning.yaml. */
export const advancedImagingForSurgicalPlanning: Rule = {
  topic: 'advanced-imaging-for-surgical-planning',
  hooks: 'patient-view',
  valueSets: ['hip-pain', 'hip-osteoarthritis', 'femoroacetabular-impingement', 'acetabular-labral-tear', 'hip-dysplasia', 'greater-trochanteric-pain-syndrome', 'gluteal-tendinopathy', 'gluteus-medius-tear', 'hip-strain', 'hip-fracture', 'prom', 'exercise-therapy', 'hip-mri', 'hip-mr-arthrogram', 'hip-ct-arthrogram'],
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
  about: {
    fires: 'FAI, labral tear or dysplasia, and failed conservative care.',
    notWhen: 'advanced imaging (MRI, MR or CT arthrogram of the hip) is on record.',
  },
  evaluate({ facts }) {
    if (facts.surgicalPlanningDiagnoses.length === 0 || !facts.failedConservativeCare) return null;
    if (facts.advancedImagingOnRecord) return null;
    return {
      topic: 'advanced-imaging-for-surgical-planning',
      evidence: { diagnoses: facts.surgicalPlanningDiagnoses },
      suggestions: [{ id: 'order-mr-arthrogram' }, { id: 'order-ct-arthrogram' }],
    };
  },
};
