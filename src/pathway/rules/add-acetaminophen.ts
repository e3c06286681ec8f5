import type { Rule } from '../rule.js';

/**
 * add-acetaminophen [info] — PATHWAY §3.
 * Fires: persistent hip pain, a current NSAID, and no current acetaminophen (combination products count).
 * Suggestion: scheduled acetaminophen 1000 mg every 8 hours, at most 4 g/day; with chronic liver disease the
 * schedule is chosen within 2 g/day (config acetaminophen.regimens).
 * Source: "Add scheduled acetaminophen up to 4 grams daily (1000 mg every 6-8 hours) ... safely combined with
 * NSAIDs" (seed 000).
 */
export const addAcetaminophen: Rule = {
  topic: 'add-acetaminophen',
  hooks: 'patient-view',
  evaluate({ facts, config }) {
    if (!facts.persistentHipPain || facts.current.nsaid.length === 0 || facts.current.acetaminophen.length > 0) return null;
    const maxDailyMg = facts.acetaminophenMaxDailyMg;
    const regimen = config.acetaminophen.regimens.find((r) => (r.doseMg * 24) / r.everyHours <= maxDailyMg);
    if (regimen === undefined) return null;
    return {
      topic: 'add-acetaminophen',
      evidence: {},
      suggestions: [
        {
          id: 'order-acetaminophen',
          values: { regimen: { ...regimen, dailyMg: (regimen.doseMg * 24) / regimen.everyHours, maxDailyMg } },
        },
      ],
    };
  },
};
