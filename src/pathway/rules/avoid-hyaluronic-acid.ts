import { C } from '../conditions.js';
import { forTheHip } from '../order-scope.js';
import { condition, isMedication, type RuleInput, type RuleOf } from '../rule.js';
import { HIP_CONDITION_SETS, VS } from '../value-set-ids.js';
import type { OrderEntry } from '../../record/types.js';

/** Judged intra-articular hyaluronic acid orders (drug or procedure) for the hip. */
function hyaluronicAcidOrders({ judged }: RuleInput): OrderEntry[] {
  return judged.filter(
    (o) => (isMedication(o) ? o.classes.has(VS.hyaluronicAcid) : o.sets.has(VS.hyaluronicAcidInjection)) && forTheHip(o),
  );
}

const orderingHyaluronicAcid = condition(
  'an intra-articular hyaluronic acid order (drug or procedure) whose reason is not only a condition outside the hip set',
  (input) => hyaluronicAcidOrders(input).length > 0,
);

/** avoid-hyaluronic-acid [warning] — order-select / order-sign, docs/clinical-spec.md §3. The card: cards/avoid-hyaluronic-acid.yaml. */
export const avoidHyaluronicAcid: RuleOf<'avoid-hyaluronic-acid'> = {
  topic: 'avoid-hyaluronic-acid',
  hooks: 'order',
  valueSets: [...HIP_CONDITION_SETS, 'hyaluronic-acid-injection', 'medication-hyaluronic-acid', 'hip-joint-injection'],
  needs: ['Condition', 'Procedure', 'ServiceRequest', 'DiagnosticReport'],
  when: [C.hipCondition, orderingHyaluronicAcid],
  unless: [C.excluded],
  offers: ['replace-with-ultrasound-guided-injection', 'replace-with-fluoroscopy-guided-injection', 'remove-order'],
  suggests: 'remove it; for hip OA without a recent hip injection, replace it with the image-guided corticosteroid injection.',
  evaluate(input) {
    const { facts } = input;
    const orders = hyaluronicAcidOrders(input);
    const offerInjection = facts.hipOsteoarthritis.length > 0 && facts.recentHipInjections.length === 0;
    return {
      topic: 'avoid-hyaluronic-acid',
      evidence: { orders },
      suggestions: offerInjection
        ? [
            { id: 'replace-with-ultrasound-guided-injection', orders },
            { id: 'replace-with-fluoroscopy-guided-injection', orders },
          ]
        : [{ id: 'remove-order', orders }],
    };
  },
};
