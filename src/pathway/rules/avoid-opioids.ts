import { regimenWithin } from '../dosing.js';
import { isMedication, type Rule, type SuggestionChoice } from '../rule.js';
import { forTheHip, namesHipReason } from '../order-scope.js';
import { VS } from '../value-set-ids.js';
import type { MedicationEntry } from '../../record/types.js';

/** avoid-opioids [warning] — order-select / order-sign, PATHWAY §3. The card: cards/avoid-opioids.yaml. */
export const avoidOpioids: Rule = {
  topic: 'avoid-opioids',
  hooks: 'order',
  valueSets: ['hip-pain', 'hip-osteoarthritis', 'femoroacetabular-impingement', 'acetabular-labral-tear', 'hip-dysplasia', 'greater-trochanteric-pain-syndrome', 'gluteal-tendinopathy', 'gluteus-medius-tear', 'hip-strain', 'medication-opioid', 'opioid-use-disorder', 'medication-opioid-use-disorder-treatment', 'medication-nsaid', 'medication-acetaminophen', 'medication-duloxetine'],
  needs: ['Condition', 'Observation', 'MedicationRequest', 'Medication'],
  about: {
    fires:
      'an opioid (tramadol, codeine and combination products included) is being started for a patient with a hip condition and no current opioid.',
    notWhen:
      "the order's reasonCode/reasonReference names only conditions outside the hip set; the order is a medication for opioid use disorder (buprenorphine/naloxone, sublingual or extended-release buprenorphine, oral methadone) for a patient with an active opioid use disorder, and its reason names no hip condition; the patient is excluded (paediatric, deceased, active hip fracture).",
    suggestion:
      'remove the draft, and offer the next non-opioid step: acetaminophen, or duloxetine when an NSAID and acetaminophen are both current (and duloxetine is not contraindicated or already taken); a step that another draft of the same call already orders is not offered again.',
  },
  evaluate({ facts, judged, drafts, config }) {
    if (facts.excluded !== undefined || facts.hipConditions.length === 0 || facts.current.opioid.length > 0) return null;
    // A medication for opioid use disorder treats the disorder, unless its reason says it is for the hip.
    const treatsOpioidUseDisorder = (o: MedicationEntry): boolean =>
      facts.opioidUseDisorder.length > 0 && o.classes.has(VS.opioidUseDisorderTreatment) && !namesHipReason(o);
    const orders = judged.filter(
      (o): o is MedicationEntry => isMedication(o) && o.classes.has(VS.opioid) && forTheHip(o) && !treatsOpioidUseDisorder(o),
    );
    if (orders.length === 0) return null;
    // The next step is judged on what the patient takes; a step already being ordered in this same call, by
    // another non-opioid draft, is not offered twice (an opioid combination, acetaminophen/codeine, is no
    // acetaminophen step: it is being removed, or it is for something else).
    const ordering = (set: string): boolean =>
      drafts.some((d) => isMedication(d) && d.classes.has(set) && !d.classes.has(VS.opioid));
    const { nsaid, acetaminophen, duloxetine } = facts.current;
    // The step the pathway would take next: acetaminophen, else duloxetine on an NSAID and acetaminophen.
    const step =
      acetaminophen.length === 0
        ? 'acetaminophen'
        : nsaid.length > 0 && duloxetine.length === 0 && facts.duloxetineContraindications.length === 0
          ? 'duloxetine'
          : undefined;
    const alreadyOrdered =
      (step === 'acetaminophen' && ordering(VS.acetaminophen)) || (step === 'duloxetine' && ordering(VS.duloxetine));
    const regimen =
      step === 'acetaminophen' ? regimenWithin(config.acetaminophen.regimens, facts.acetaminophenMaxDailyMg) : undefined;
    const next: SuggestionChoice =
      alreadyOrdered || step === undefined
        ? { id: 'remove-opioid', orders }
        : step === 'duloxetine'
          ? { id: 'replace-with-duloxetine', orders }
          : regimen !== undefined
            ? { id: 'replace-with-acetaminophen', orders, values: { regimen } }
            : { id: 'remove-opioid', orders };
    const evidence = {
      orders,
      nextIsAcetaminophen: next.id === 'replace-with-acetaminophen',
      nextIsDuloxetine: next.id === 'replace-with-duloxetine',
      nextIsOrderedAcetaminophen: alreadyOrdered && step === 'acetaminophen',
      nextIsOrderedDuloxetine: alreadyOrdered && step === 'duloxetine',
      nextIsNone: next.id === 'remove-opioid' && !alreadyOrdered,
    };
    return { topic: 'avoid-opioids', evidence, suggestions: [next] };
  },
};
