import type { Rule } from '../rule.js';

/**
 * nsaid-gastroprotection [warning] — PATHWAY §3.
 * Fires: a hip condition, a current NSAID, a GI risk factor (age >= 65; peptic ulcer or GI bleeding ever;
 * current anticoagulant/antiplatelet incl. aspirin; current systemic corticosteroid), and no current PPI.
 * Source: "using the lowest effective dose with gastroprotection if gastrointestinal risk factors exist" (seed 000).
 */
export const nsaidGastroprotection: Rule = {
  topic: 'nsaid-gastroprotection',
  hooks: 'patient-view',
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
