import type { Rule } from '../rule.js';

/** radiographs-first [warning] — PATHWAY §3. The card: cards/radiographs-first.yaml. */
export const radiographsFirst: Rule = {
  topic: 'radiographs-first',
  hooks: 'patient-view',
  valueSets: ['hip-pain', 'hip-osteoarthritis', 'femoroacetabular-impingement', 'acetabular-labral-tear', 'hip-dysplasia', 'greater-trochanteric-pain-syndrome', 'gluteal-tendinopathy', 'gluteus-medius-tear', 'hip-strain', 'hip-fracture', 'prom', 'exercise-therapy', 'hip-radiograph', 'hip-mri', 'hip-mr-arthrogram', 'hip-ct-arthrogram'],
  needs: ['Condition', 'Observation', 'Procedure', 'ServiceRequest', 'DiagnosticReport', 'ImagingStudy'],
  about: {
    fires: 'persistent hip pain and no hip/pelvis radiograph on record (12 months, done or ordered).',
    notWhen: 'a structural diagnosis is established, or advanced imaging is on record.',
  },
  evaluate({ facts }) {
    if (!facts.persistentHipPain || facts.radiographOnRecord) return null;
    if (facts.structuralDiagnosis || facts.advancedImagingOnRecord) return null;
    return { topic: 'radiographs-first', evidence: {}, suggestions: [{ id: 'order-radiographs' }] };
  },
};
