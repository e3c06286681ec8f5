import type { Rule } from '../rule.js';

/**
 * advanced-imaging-for-surgical-planning [info] — PATHWAY §3.
 * Fires: FAI, labral tear or dysplasia, and failed conservative care.
 * Not when: advanced imaging (MRI, MR or CT arthrogram of the hip) is on record.
 * Source: "MRI/MRA or CT arthrogram should be obtained ... particularly if non-surgical treatment has failed and
 * surgery is being considered" (seed 000).
 */
export const advancedImagingForSurgicalPlanning: Rule = {
  topic: 'advanced-imaging-for-surgical-planning',
  hooks: 'patient-view',
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
