import { isMedication, type Rule } from '../rule.js';
import { VS } from '../value-set-ids.js';

/** avoid-arthroscopy-in-oa [warning] — order-select / order-sign, PATHWAY §3. The card: cards/avoid-arthroscopy-in-oa.yaml. */
export const avoidArthroscopyInOa: Rule = {
  topic: 'avoid-arthroscopy-in-oa',
  hooks: 'order',
  valueSets: ['hip-osteoarthritis', 'femoroacetabular-impingement', 'acetabular-labral-tear', 'hip-arthroscopy', 'orthopedic-referral'],
  needs: ['Condition', 'Procedure', 'ServiceRequest', 'DiagnosticReport'],
  about: {
    fires: 'a hip arthroscopy order for a patient with (active) hip OA.',
    notWhen: 'FAI or labral tear without OA (the rule needs OA); the patient is excluded.',
    suggestion: 'remove it; offer the orthopaedic referral when none was made in the last 12 months.',
  },
  evaluate({ facts, judged }) {
    if (facts.excluded !== undefined || facts.hipOsteoarthritis.length === 0) return null;
    const orders = judged.filter((o) => !isMedication(o) && o.sets.has(VS.hipArthroscopy));
    if (orders.length === 0) return null;
    const offerReferral = facts.recentOrthopedicReferrals.length === 0;
    return {
      topic: 'avoid-arthroscopy-in-oa',
      evidence: { orders, osteoarthritis: facts.hipOsteoarthritis },
      suggestions: [{ id: offerReferral ? 'replace-with-orthopedic-referral' : 'remove-order', orders }],
    };
  },
};
