import type { Rule } from '../rule.js';

/**
 * hip-preservation-referral [info] — PATHWAY §3.
 * Fires: FAI, labral tear, dysplasia or gluteus medius tear, and failed conservative care.
 * Not when: the patient has hip OA (orthopedic-referral covers it); a referral was made in the last 12 months.
 * Source: "FAI syndrome, labral tears, or gluteus medius tendon tears identified on advanced imaging after failed
 * conservative treatment ... typically have good surgical outcomes" (seed 000).
 */
export const hipPreservationReferral: Rule = {
  topic: 'hip-preservation-referral',
  hooks: 'patient-view',
  evaluate({ facts }) {
    if (facts.hipPreservationDiagnoses.length === 0 || !facts.failedConservativeCare) return null;
    if (facts.hipOsteoarthritis.length > 0 || facts.recentOrthopedicReferrals.length > 0) return null;
    return {
      topic: 'hip-preservation-referral',
      evidence: { diagnoses: facts.hipPreservationDiagnoses },
      suggestions: [{ id: 'refer-hip-preservation' }],
    };
  },
};
