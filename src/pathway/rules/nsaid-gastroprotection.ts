import type { Rule } from '../rule.js';

/** nsaid-gastroprotection [warning] — PATHWAY §3. The card: cards/nsaid-gastroprotection.yaml. */
export const nsaidGastroprotection: Rule = {
  topic: 'nsaid-gastroprotection',
  hooks: 'patient-view',
  valueSets: ['hip-pain', 'hip-osteoarthritis', 'femoroacetabular-impingement', 'acetabular-labral-tear', 'hip-dysplasia', 'greater-trochanteric-pain-syndrome', 'gluteal-tendinopathy', 'gluteus-medius-tear', 'hip-strain', 'hip-fracture', 'medication-nsaid', 'medication-ppi', 'peptic-ulcer', 'gi-bleeding', 'medication-anticoagulant-antiplatelet', 'medication-systemic-corticosteroid'],
  needs: ['Condition', 'MedicationRequest', 'Medication'],
  about: {
    fires:
      'a hip condition, a current NSAID, a GI risk factor (age >= 65; peptic ulcer or GI bleeding ever; current anticoagulant/antiplatelet incl. aspirin; current systemic corticosteroid), and no current PPI.',
  },
  evaluate({ facts }) {
    if (facts.hipConditions.length === 0 || facts.current.nsaid.length === 0) return null;
    if (facts.giRiskFactors.length === 0 || facts.current.ppi.length > 0) return null;
    return {
      topic: 'nsaid-gastroprotection',
      evidence: {},
      suggestions: [{ id: 'order-ppi' }],
    };
  },
};
