import { regimenWithin } from '../dosing.js';
import type { Rule } from '../rule.js';

/** add-acetaminophen [info] — PATHWAY §3. The card: cards/add-acetaminophen.yaml. */
export const addAcetaminophen: Rule = {
  topic: 'add-acetaminophen',
  hooks: 'patient-view',
  valueSets: ['hip-pain', 'hip-osteoarthritis', 'femoroacetabular-impingement', 'acetabular-labral-tear', 'hip-dysplasia', 'greater-trochanteric-pain-syndrome', 'gluteal-tendinopathy', 'gluteus-medius-tear', 'hip-strain', 'hip-fracture', 'prom', 'exercise-therapy', 'medication-nsaid', 'medication-acetaminophen', 'chronic-liver-disease'],
  needs: ['Condition', 'Observation', 'MedicationRequest', 'Medication'],
  about: {
    fires: 'persistent hip pain, a current NSAID, and no current acetaminophen (combination products count).',
    suggestion:
      'scheduled acetaminophen 1000 mg every 8 hours, at most 4 g/day; with chronic liver disease the schedule is chosen within 2 g/day (config acetaminophen.regimens).',
  },
  evaluate({ facts, config }) {
    if (!facts.persistentHipPain || facts.current.nsaid.length === 0 || facts.current.acetaminophen.length > 0) return null;
    const regimen = regimenWithin(config.acetaminophen.regimens, facts.acetaminophenMaxDailyMg);
    if (regimen === undefined) return null;
    return {
      topic: 'add-acetaminophen',
      evidence: { regimen },
      suggestions: [{ id: 'order-acetaminophen', values: { regimen } }],
    };
  },
};
