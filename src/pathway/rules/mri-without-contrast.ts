import type { Rule } from '../rule.js';

/** mri-without-contrast [info] — PATHWAY §3. The card: cards/mri-without-contrast.yaml. */
export const mriWithoutContrast: Rule = {
  topic: 'mri-without-contrast',
  hooks: 'patient-view',
  valueSets: ['hip-pain', 'hip-osteoarthritis', 'femoroacetabular-impingement', 'acetabular-labral-tear', 'hip-dysplasia', 'greater-trochanteric-pain-syndrome', 'gluteal-tendinopathy', 'gluteus-medius-tear', 'hip-strain', 'hip-fracture', 'prom', 'exercise-therapy', 'hip-radiograph', 'radiograph-normal-conclusion', 'radiograph-abnormal-nonspecific-conclusion', 'hip-mri', 'hip-mr-arthrogram', 'hip-ct-arthrogram'],
  needs: ['Condition', 'Observation', 'Procedure', 'ServiceRequest', 'DiagnosticReport', 'ImagingStudy'],
  about: {
    fires: 'persistent hip pain and a negative or equivocal hip/pelvis radiograph report on record.',
    notWhen: 'advanced imaging is on record; a structural diagnosis is established.',
  },
  evaluate({ facts }) {
    const radiograph = facts.negativeOrEquivocalRadiograph;
    if (!facts.persistentHipPain || radiograph === undefined) return null;
    if (facts.advancedImagingOnRecord || facts.structuralDiagnosis) return null;
    return { topic: 'mri-without-contrast', evidence: { radiograph }, suggestions: [{ id: 'order-mri' }] };
  },
};
