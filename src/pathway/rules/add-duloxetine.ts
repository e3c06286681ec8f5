import type { Rule } from '../rule.js';

/** add-duloxetine [info] — PATHWAY §3. The card: cards/add-duloxetine.yaml. */
export const addDuloxetine: Rule = {
  topic: 'add-duloxetine',
  hooks: 'patient-view',
  valueSets: ['hip-pain', 'hip-osteoarthritis', 'femoroacetabular-impingement', 'acetabular-labral-tear', 'hip-dysplasia', 'greater-trochanteric-pain-syndrome', 'gluteal-tendinopathy', 'gluteus-medius-tear', 'hip-strain', 'hip-fracture', 'prom', 'exercise-therapy', 'medication-nsaid', 'medication-acetaminophen', 'medication-duloxetine', 'medication-maoi', 'egfr', 'chronic-liver-disease'],
  needs: ['Condition', 'Observation', 'MedicationRequest', 'Medication'],
  about: {
    fires: 'persistent hip pain, a current NSAID and current acetaminophen, and no current duloxetine.',
    notWhen:
      'duloxetine is contraindicated (current MAOI incl. linezolid; latest eGFR < 30 within 12 months; chronic liver disease or cirrhosis).',
  },
  evaluate({ facts }) {
    const { nsaid, acetaminophen, duloxetine } = facts.current;
    if (!facts.persistentHipPain || nsaid.length === 0 || acetaminophen.length === 0 || duloxetine.length > 0) return null;
    if (facts.duloxetineContraindications.length > 0) return null;
    return { topic: 'add-duloxetine', evidence: {}, suggestions: [{ id: 'order-duloxetine' }] };
  },
};
