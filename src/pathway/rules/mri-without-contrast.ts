import { C } from '../conditions.js';
import type { RuleOf } from '../rule.js';

/** mri-without-contrast [info] — docs/clinical-spec.md §3. The card: cards/mri-without-contrast.yaml. */
export const mriWithoutContrast: RuleOf<'mri-without-contrast'> = {
  topic: 'mri-without-contrast',
  hooks: 'patient-view',
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
