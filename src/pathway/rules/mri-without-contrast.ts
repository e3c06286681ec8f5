import { C } from '../conditions.js';
import type { RuleOf } from '../rule.js';

/** mri-without-contrast [info] — docs/clinical-spec.md §3. The card: cards/mri-without-contrast.yaml. */
export const mriWithoutContrast: RuleOf<'mri-without-contrast'> = {
  topic: 'mri-without-contrast',
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
    'hip-radiograph',
    'radiograph-normal-conclusion',
    'radiograph-abnormal-nonspecific-conclusion',
    'hip-mri',
    'hip-mr-arthrogram',
    'hip-ct-arthrogram',
  ],
  needs: ['Condition', 'Observation', 'Procedure', 'ServiceRequest', 'DiagnosticReport', 'ImagingStudy'],
  when: [C.activeEpisode, C.persistentHipPain, C.negativeOrEquivocalRadiograph],
  unless: [C.advancedImagingOnRecord, C.structuralDiagnosis],
  offers: ['order-mri'],
  suggests: 'MRI of the hip without IV contrast.',
  evaluate({ facts }) {
    const radiograph = facts.negativeOrEquivocalRadiograph;
    if (radiograph === undefined) return null;
    return { topic: 'mri-without-contrast', evidence: { radiograph }, suggestions: [{ id: 'order-mri' }] };
  },
};
