import { C } from '../conditions.js';
import { regimenWithin } from '../dosing.js';
import { forTheHip, namesHipReason } from '../order-scope.js';
import { condition, isMedication, type NextStep, type RuleInput, type RuleOf, type SuggestionChoice } from '../rule.js';
import { HIP_CONDITION_SETS, VS } from '../value-set-ids.js';
import type { MedicationEntry } from '../../record/types.js';

/**
 * Judged opioid orders for the hip: not those whose reason names only other conditions, nor a medication for
 * opioid use disorder for a patient who has it (unless its reason names a hip condition).
 */
function opioidOrders({ facts, judged }: RuleInput): MedicationEntry[] {
  const treatsOpioidUseDisorder = (o: MedicationEntry): boolean =>
    facts.opioidUseDisorder.length > 0 && o.classes.has(VS.opioidUseDisorderTreatment) && !namesHipReason(o);
  return judged.filter(
    (o): o is MedicationEntry => isMedication(o) && o.classes.has(VS.opioid) && forTheHip(o) && !treatsOpioidUseDisorder(o),
  );
}

const startingOpioid = condition(
  'an opioid (tramadol, codeine and combination products included) is being started for the hip (its reason is not only another condition; not a medication for an active opioid use disorder)',
  (input) => opioidOrders(input).length > 0,
);

/** The next non-opioid step: acetaminophen, else duloxetine on an NSAID and acetaminophen; already ordered or none. */
function nextStep({ facts, drafts }: RuleInput): NextStep {
  const { nsaid, acetaminophen, duloxetine } = facts.current;
  let step: 'acetaminophen' | 'duloxetine' | undefined;
  if (acetaminophen.length === 0) step = 'acetaminophen';
  else if (nsaid.length > 0 && duloxetine.length === 0 && facts.duloxetineContraindications.length === 0) step = 'duloxetine';
  if (step === undefined) return 'none';
  // A step another non-opioid draft of this call already orders is not offered twice (an opioid combination,
  // acetaminophen/codeine, is no acetaminophen step).
  const set = step === 'acetaminophen' ? VS.acetaminophen : VS.duloxetine;
  const ordered = drafts.some((d) => isMedication(d) && d.classes.has(set) && !d.classes.has(VS.opioid));
  if (!ordered) return step;
  return step === 'acetaminophen' ? 'ordered-acetaminophen' : 'ordered-duloxetine';
}

/** avoid-opioids [warning] — order-select / order-sign, docs/clinical-spec.md §3. The card: cards/avoid-opioids.yaml. */
export const avoidOpioids: RuleOf<'avoid-opioids'> = {
  topic: 'avoid-opioids',
  hooks: 'order',
  valueSets: [
    ...HIP_CONDITION_SETS,
    'medication-opioid',
    'opioid-use-disorder',
    'medication-opioid-use-disorder-treatment',
    'medication-nsaid',
    'medication-acetaminophen',
    'medication-duloxetine',
  ],
  needs: ['Condition', 'Observation', 'MedicationRequest', 'Medication'],
  when: [C.hipCondition, startingOpioid],
  unless: [C.currentOpioid, C.excluded],
  offers: ['replace-with-acetaminophen', 'replace-with-duloxetine', 'remove-opioid'],
  suggests:
    'remove the draft, and offer the next non-opioid step: acetaminophen, or duloxetine when an NSAID and acetaminophen are both current (and duloxetine is not contraindicated or already taken); a step another draft of the same call already orders is not offered again.',
  evaluate(input) {
    const orders = opioidOrders(input);
    let step = nextStep(input);
    const regimen =
      step === 'acetaminophen'
        ? regimenWithin(input.config.acetaminophen.regimens, input.facts.acetaminophenMaxDailyMg)
        : undefined;
    if (step === 'acetaminophen' && regimen === undefined) step = 'none';
    let suggestion: SuggestionChoice = { id: 'remove-opioid', orders };
    if (step === 'duloxetine') suggestion = { id: 'replace-with-duloxetine', orders };
    else if (step === 'acetaminophen' && regimen !== undefined)
      suggestion = { id: 'replace-with-acetaminophen', orders, values: { regimen } };
    return {
      topic: 'avoid-opioids',
      evidence: {
        orders,
        nextStep: step,
        nextIsAcetaminophen: step === 'acetaminophen',
        nextIsDuloxetine: step === 'duloxetine',
        nextIsOrderedAcetaminophen: step === 'ordered-acetaminophen',
        nextIsOrderedDuloxetine: step === 'ordered-duloxetine',
        nextIsNone: step === 'none',
      },
      suggestions: [suggestion],
    };
  },
};
