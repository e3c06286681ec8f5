import type { Rule } from '../rule.js';

/**
 * mri-without-contrast [info] — PATHWAY §3.
 * Fires: persistent hip pain and a negative or equivocal hip/pelvis radiograph report on record.
 * Not when: advanced imaging is on record; a structural diagnosis is established.
 * Source: "If radiographs are negative, equivocal, or nondiagnostic ... MRI hip without IV contrast is the next
 * appropriate study" (seed 000).
 */
export const mriWithoutContrast: Rule = {
  topic: 'mri-without-contrast',
  hooks: 'patient-view',
  evaluate({ facts }) {
    const radiograph = facts.negativeOrEquivocalRadiograph;
    if (!facts.persistentHipPain || radiograph === undefined) return null;
    if (facts.advancedImagingOnRecord || facts.structuralDiagnosis) return null;
    return { topic: 'mri-without-contrast', evidence: { radiograph }, suggestions: [{ id: 'order-mri' }] };
  },
};
