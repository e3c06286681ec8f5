import type { Rule } from '../rule.js';

/**
 * add-duloxetine [info] — PATHWAY §3.
 * Fires: persistent hip pain, a current NSAID and current acetaminophen, and no current duloxetine.
 * Not when: duloxetine is contraindicated (current MAOI incl. linezolid; latest eGFR < 30 within 12 months;
 * chronic liver disease or cirrhosis).
 * Source: "If NSAIDs plus acetaminophen provide inadequate relief, add duloxetine 30-60 mg daily"; "Consider
 * switching to a different NSAID" (seed 000).
 */
export const addDuloxetine: Rule = {
  topic: 'add-duloxetine',
  hooks: 'patient-view',
  evaluate({ facts }) {
    const { nsaid, acetaminophen, duloxetine } = facts.current;
    if (!facts.persistentHipPain || nsaid.length === 0 || acetaminophen.length === 0 || duloxetine.length > 0) return null;
    if (facts.duloxetineContraindications.length > 0) return null;
    return { topic: 'add-duloxetine', evidence: {}, suggestions: [{ id: 'order-duloxetine' }] };
  },
};
