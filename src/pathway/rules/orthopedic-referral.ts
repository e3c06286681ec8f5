import type { Rule } from '../rule.js';

/**
 * orthopedic-referral [info] — PATHWAY §3.
 * Fires: hip OA and failed conservative care (persistent pain with exercise therapy and/or a hip analgesic
 * started >= 3 months ago).
 * Not when: a referral to orthopaedics was made in the last 12 months.
 * Source: "Radiographic evidence of hip osteoarthritis with refractory pain and disability despite 3+ months of
 * optimal conservative management" is a clear indication for surgical consultation (seed 000).
 */
export const orthopedicReferral: Rule = {
  topic: 'orthopedic-referral',
  hooks: 'patient-view',
  evaluate({ facts }) {
    if (facts.hipOsteoarthritis.length === 0 || !facts.failedConservativeCare) return null;
    if (facts.recentOrthopedicReferrals.length > 0) return null;
    return { topic: 'orthopedic-referral', evidence: {}, suggestions: [{ id: 'refer-orthopedics' }] };
  },
};
