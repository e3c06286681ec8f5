import { regimenWithin } from '../dosing.js';
import { isMedication, type Rule, type SuggestionChoice } from '../rule.js';
import { forTheHip } from '../order-scope.js';
import { VS } from '../value-set-ids.js';
import type { MedicationEntry } from '../../record/types.js';

/** avoid-opioids [warning] — order-select / order-sign, PATHWAY §3. The card: cards/avoid-opioids.yaml. */
export const avoidOpioids: Rule = {
  topic: 'avoid-opioids',
  hooks: 'order',
  about: {
    fires:
      'an opioid (tramadol, codeine and combination products included) is being started for a patient with a hip condition and no current opioid.',
    notWhen:
      "the order's reasonCode/reasonReference names only conditions outside the hip set; the order is buprenorphine or methadone for a patient with an active opioid use disorder (treatment of the disorder); the patient is excluded (paediatric, deceased, active hip fracture).",
    suggestion:
      'remove the draft, and offer the next non-opioid step: acetaminophen, or duloxetine when an NSAID and acetaminophen are both current (and duloxetine is not contraindicated or already taken); a step that another draft of the same call already orders is not offered again.',
  },
  evaluate({ facts, judged, drafts, config }) {
    if (facts.excluded !== undefined || facts.hipConditions.length === 0 || facts.current.opioid.length > 0) return null;
    const treatsOpioidUseDisorder = (o: MedicationEntry): boolean =>
      facts.opioidUseDisorder.length > 0 && o.classes.has(VS.opioidUseDisorderTreatment);
    const orders = judged.filter(
      (o): o is MedicationEntry => isMedication(o) && o.classes.has(VS.opioid) && forTheHip(o) && !treatsOpioidUseDisorder(o),
    );
    if (orders.length === 0) return null;
    // The next step is judged on what the patient takes; a step already being ordered in this same call, by
    // another draft, is not offered twice (the opioid drafts themselves may contain acetaminophen,
    // acetaminophen/oxycodone: those are what is being removed).
    const ordering = (set: string): boolean => drafts.some((d) => isMedication(d) && d.classes.has(set) && !orders.includes(d));
    const { nsaid, acetaminophen, duloxetine } = facts.current;
    const acetaminophenOrdered = acetaminophen.length === 0 && ordering(VS.acetaminophen);
    let next: SuggestionChoice;
    if (acetaminophen.length === 0 && !acetaminophenOrdered) {
      const regimen = regimenWithin(config.acetaminophen.regimens, facts.acetaminophenMaxDailyMg);
      next =
        regimen === undefined
          ? { id: 'remove-opioid', orders }
          : {
              id: 'replace-with-acetaminophen',
              orders,
              values: { regimen },
            };
    } else if (
      acetaminophen.length > 0 &&
      nsaid.length > 0 &&
      duloxetine.length === 0 &&
      !ordering(VS.duloxetine) &&
      facts.duloxetineContraindications.length === 0
    ) {
      next = { id: 'replace-with-duloxetine', orders };
    } else {
      next = { id: 'remove-opioid', orders };
    }
    const evidence = {
      orders,
      nextIsAcetaminophen: next.id === 'replace-with-acetaminophen',
      nextIsDuloxetine: next.id === 'replace-with-duloxetine',
      nextIsOrderedAcetaminophen: next.id === 'remove-opioid' && acetaminophenOrdered,
      nextIsNone: next.id === 'remove-opioid' && !acetaminophenOrdered,
    };
    return { topic: 'avoid-opioids', evidence, suggestions: [next] };
  },
};
