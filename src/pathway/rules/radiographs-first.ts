import type { Rule } from '../rule.js';

/**
 * radiographs-first [warning] — PATHWAY §3.
 * Fires: persistent hip pain and no hip/pelvis radiograph on record (12 months, done or ordered).
 * Not when: a structural diagnosis is established, or advanced imaging is on record.
 * Source: "obtain plain radiographs of both the pelvis and hip immediately as the essential next step" (seed 000).
 */
export const radiographsFirst: Rule = {
  topic: 'radiographs-first',
  hooks: 'patient-view',
  evaluate({ facts }) {
    if (!facts.persistentHipPain || facts.radiographOnRecord) return null;
    if (facts.structuralDiagnosis || facts.advancedImagingOnRecord) return null;
    return { topic: 'radiographs-first', evidence: {}, suggestions: [{ id: 'order-radiographs' }] };
  },
};
