import { isMedication, type Rule } from '../rule.js';
import { forTheHip } from '../order-scope.js';
import { VS } from '../value-set-ids.js';

/** avoid-hyaluronic-acid [warning] — order-select / order-sign, PATHWAY §3. The card: cards/avoid-hyaluronic-acid.yaml. */
export const avoidHyaluronicAcid: Rule = {
  topic: 'avoid-hyaluronic-acid',
  hooks: 'order',
  valueSets: ['hip-pain', 'hip-osteoarthritis', 'femoroacetabular-impingement', 'acetabular-labral-tear', 'hip-dysplasia', 'greater-trochanteric-pain-syndrome', 'gluteal-tendinopathy', 'gluteus-medius-tear', 'hip-strain', 'hyaluronic-acid-injection', 'medication-hyaluronic-acid', 'hip-joint-injection'],
  needs: ['Condition', 'Procedure', 'ServiceRequest', 'DiagnosticReport'],
  about: {
    fires: 'an intra-articular hyaluronic acid order (drug or procedure) for a patient with a hip condition.',
    notWhen:
      'the order is for another joint: its reasonCode/reasonReference name only conditions outside the hip set (knee OA); the patient is excluded (paediatric, deceased, active hip fracture).',
    suggestion: 'remove it; for hip OA, replace it with the image-guided intra-articular corticosteroid injection.',
  },
  evaluate({ facts, judged }) {
    if (facts.excluded !== undefined || facts.hipConditions.length === 0) return null;
    const orders = judged.filter(
      (o) => (isMedication(o) ? o.classes.has(VS.hyaluronicAcid) : o.sets.has(VS.hyaluronicAcidInjection)) && forTheHip(o),
    );
    if (orders.length === 0) return null;
    const offerInjection = facts.hipOsteoarthritis.length > 0 && facts.recentHipInjections.length === 0;
    return {
      topic: 'avoid-hyaluronic-acid',
      evidence: { orders },
      suggestions: offerInjection
        ? [{ id: 'replace-with-ultrasound-guided-injection', orders }, { id: 'replace-with-fluoroscopy-guided-injection', orders }]
        : [{ id: 'remove-order', orders }],
    };
  },
};
