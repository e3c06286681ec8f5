import { C } from '../conditions.js';
import { condition, isMedication, type RuleInput, type RuleOf } from '../rule.js';
import { VS } from '../value-set-ids.js';
import type { OrderEntry } from '../../record/types.js';

function arthroscopyOrders({ judged }: RuleInput): OrderEntry[] {
  return judged.filter((o) => !isMedication(o) && o.sets.has(VS.hipArthroscopy));
}

const orderingArthroscopy = condition('a hip arthroscopy is being ordered', (input) => arthroscopyOrders(input).length > 0);

/** avoid-arthroscopy-in-oa [warning] — order-select / order-sign, docs/clinical-spec.md §3. The card: cards/avoid-arthroscopy-in-oa.yaml. */
export const avoidArthroscopyInOa: RuleOf<'avoid-arthroscopy-in-oa'> = {
  topic: 'avoid-arthroscopy-in-oa',
  hooks: 'order',
  valueSets: [
    'hip-osteoarthritis',
    'femoroacetabular-impingement',
    'acetabular-labral-tear',
    'hip-arthroscopy',
    'orthopedic-referral',
  ],
  needs: ['Condition', 'Procedure', 'ServiceRequest', 'DiagnosticReport'],
  when: [C.hipOsteoarthritis, orderingArthroscopy],
  unless: [C.excluded],
  offers: ['replace-with-orthopedic-referral', 'remove-order'],
  suggests:
    'remove it; offer the orthopaedic referral when none was made in the last 12 months. (FAI or labral tear without OA: the rule needs OA.)',
  evaluate(input) {
    const { facts } = input;
    const orders = arthroscopyOrders(input);
    const offerReferral = facts.recentOrthopedicReferrals.length === 0;
    return {
      topic: 'avoid-arthroscopy-in-oa',
      evidence: { orders, osteoarthritis: facts.hipOsteoarthritis },
      suggestions: [{ id: offerReferral ? 'replace-with-orthopedic-referral' : 'remove-order', orders }],
    };
  },
};
