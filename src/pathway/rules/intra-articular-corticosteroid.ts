import { weeksBefore } from '../time.js';
import type { Rule } from '../rule.js';

/** intra-articular-corticosteroid [info] — PATHWAY §3. The card: cards/intra-articular-corticosteroid.yaml. */
export const intraArticularCorticosteroid: Rule = {
  topic: 'intra-articular-corticosteroid',
  hooks: 'patient-view',
  valueSets: ['hip-pain', 'hip-osteoarthritis', 'femoroacetabular-impingement', 'acetabular-labral-tear', 'hip-dysplasia', 'greater-trochanteric-pain-syndrome', 'gluteal-tendinopathy', 'gluteus-medius-tear', 'hip-strain', 'hip-fracture', 'prom', 'exercise-therapy', 'medication-nsaid', 'medication-acetaminophen', 'hip-joint-injection'],
  needs: ['Condition', 'Observation', 'MedicationRequest', 'Medication', 'Procedure', 'ServiceRequest', 'DiagnosticReport'],
  about: {
    fires: 'hip OA, persistent hip pain while on a current NSAID or acetaminophen started >= 6 weeks ago.',
    notWhen: 'a hip joint injection was done or ordered in the last 3 months.',
  },
  evaluate({ facts, config }) {
    if (facts.hipOsteoarthritis.length === 0 || !facts.persistentHipPain) return null;
    if (facts.recentHipInjections.length > 0) return null;
    const trialSince = weeksBefore(facts.now, config.analgesicTrialWeeks).getTime();
    const analgesics = [...facts.current.nsaid, ...facts.current.acetaminophen].filter(
      (m, i, all) => all.indexOf(m) === i && m.authoredOn !== undefined && m.authoredOn.getTime() <= trialSince,
    );
    if (analgesics.length === 0) return null;
    return { topic: 'intra-articular-corticosteroid', evidence: { analgesics }, suggestions: [{ id: 'order-injection-ultrasound' }, { id: 'order-injection-fluoroscopy' }] };
  },
};
