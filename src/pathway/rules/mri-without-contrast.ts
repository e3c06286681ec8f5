import { C } from '../conditions.js';
import { ADVANCED_IMAGING_SETS, PATIENT_VIEW_SETS } from '../value-set-ids.js';
import type { RuleOf } from '../rule.js';

/** mri-without-contrast [info] — docs/clinical-spec.md §3. The card: cards/mri-without-contrast.yaml. */
export const mriWithoutContrast: RuleOf<'mri-without-contrast'> = {
  topic: 'mri-without-contrast',
  hooks: 'patient-view',
  valueSets: [
    ...PATIENT_VIEW_SETS,
    'hip-radiograph',
    'radiograph-normal-conclusion',
    'radiograph-abnormal-nonspecific-conclusion',
    ...ADVANCED_IMAGING_SETS,
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
