import { C } from '../conditions.js';
import { dailyMaximum, regimenWithin, safeDosage, unitStrength } from '../dosing.js';
import { condition, type FindingOf, isMedication, type RuleInput, type RuleOf } from '../rule.js';
import { VS } from '../value-set-ids.js';
import type { MedicationEntry } from '../../record/types.js';

export interface DoseLine {
  order: MedicationEntry;
  mg: number;
  explanation: string;
  judged: boolean;
}

/** acetaminophen-max-dose [critical] — order-select / order-sign, docs/clinical-spec.md §3. The card: cards/acetaminophen-max-dose.yaml. */
interface Assessment {
  finding: FindingOf<'acetaminophen-max-dose'> | null;
  unknown: { order: MedicationEntry; reason: string }[];
}

function assess({ facts, judged, drafts, config }: RuleInput): Assessment {
  const none: Assessment = { finding: null, unknown: [] };
  if (!facts.adultAlive) return none;
  const isApap = (o: MedicationEntry): boolean => o.classes.has(VS.acetaminophen);
  const judgedApap = judged.filter((o): o is MedicationEntry => isMedication(o) && isApap(o));
  if (judgedApap.length === 0) return none;

  const draftRefs = new Set(drafts.map((d) => d.ref));
  const judgedRefs = new Set(judgedApap.map((d) => d.ref));
  const otherDrafts = drafts.filter((o): o is MedicationEntry => isMedication(o) && isApap(o) && !judgedRefs.has(o.ref));
  // A re-signed order is in draftOrders and on record under the same id: count it once, as the draft.
  const currentOrders = facts.current.acetaminophen.filter((m) => !draftRefs.has(m.ref));

  const lines: DoseLine[] = [];
  const unknown: { order: MedicationEntry; reason: string }[] = [];
  for (const [order, isJudged] of [
    ...judgedApap.map((o) => [o, true] as const),
    ...otherDrafts.map((o) => [o, false] as const),
    ...currentOrders.map((o) => [o, false] as const),
  ]) {
    const dose = dailyMaximum(order, VS.acetaminophen, config.acetaminophen.implausibleDailyMg);
    if (dose.ok) lines.push({ order, mg: dose.mg, explanation: dose.explanation, judged: isJudged });
    else unknown.push({ order, reason: dose.reason });
  }
  const totalMg = lines.reduce((s, l) => s + l.mg, 0);
  const limitMg = facts.acetaminophenMaxDailyMg;
  // Unknown doses can only add to the total: a known total above the limit is enough; below it, say nothing.
  if (totalMg <= limitMg || !lines.some((l) => l.judged)) return { finding: null, unknown };

  const otherMg = lines.filter((l) => !l.judged).reduce((s, l) => s + l.mg, 0);
  const remainingMg = Math.max(0, limitMg - otherMg);
  const offending = lines.filter((l) => l.judged).map((l) => l.order);
  // A new schedule is offered for one single-ingredient order only: an mg dose of a combination product
  // (acetaminophen/oxycodone) would change its other ingredient too, so such an order is removed instead. The
  // schedule is by mouth: an intravenous or rectal order is removed, not rewritten as oral.
  const only = offending.length === 1 ? offending[0] : undefined;
  const rewritable = only?.ingredients.length === 1 && only.route !== 'other';
  const regimen = rewritable
    ? regimenWithin(config.acetaminophen.regimens, remainingMg, unitStrength(only, VS.acetaminophen))
    : undefined;
  const suggestion =
    regimen !== undefined && only !== undefined
      ? { id: 'safe-schedule', orders: offending, values: { regimen, dosage: safeDosage(only, regimen) } }
      : { id: 'remove-order', orders: offending };
  return {
    finding: {
      topic: 'acetaminophen-max-dose',
      evidence: { lines, totalMg, limitMg, totalG: totalMg / 1000, limitG: limitMg / 1000, unknown },
      suggestions: [suggestion],
    },
    unknown,
  };
}

const assessments = new WeakMap<RuleInput, Assessment>();
/** One assessment per call, shared by evaluate() and undecided(). */
function assessed(input: RuleInput): Assessment {
  let a = assessments.get(input);
  if (a === undefined) {
    a = assess(input);
    assessments.set(input, a);
  }
  return a;
}

const orderingAcetaminophen = condition(
  'an acetaminophen-containing order (ingredient, clinical drug or branded product) is being placed',
  ({ judged }) => judged.some((o) => isMedication(o) && o.classes.has(VS.acetaminophen)),
);

const overTheLimit = condition(
  "its daily maximum, with the other acetaminophen drafts of this call and the current acetaminophen orders, exceeds the patient's limit (4 g; 2 g with chronic liver disease)",
  (input) => assessed(input).finding !== null,
);

const doseNotComputable = condition(
  'a needed dose cannot be computed and the known doses stay within the limit (the log says why; no card rests on a guess or on a number that cannot be real)',
  (input) => assessed(input).finding === null && assessed(input).unknown.length > 0,
);

export const acetaminophenMaxDose: RuleOf<'acetaminophen-max-dose'> = {
  topic: 'acetaminophen-max-dose',
  hooks: 'order',
  valueSets: ['medication-acetaminophen', 'chronic-liver-disease', 'route-oral'],
  needs: ['Condition', 'MedicationRequest', 'Medication'],
  when: [C.adultAlive, orderingAcetaminophen, overTheLimit],
  unless: [doseNotComputable],
  offers: ['safe-schedule', 'remove-order'],
  suggests:
    'update a single-ingredient oral draft to the first configured schedule that fits what is left of the limit (in whole tablets of its strength); remove a combination product, a draft given another way (intravenous, rectal), several offending drafts, or a draft for which no schedule fits. Daily maximum from doseAndRate (mg, g, or tablets/capsules/mL times the product strength) and timing, capped by maxDosePerPeriod.',
  evaluate: (input) => assessed(input).finding,
  undecided(input) {
    const { finding, unknown } = assessed(input);
    if (finding !== null) return [];
    return unknown.map(
      (u) => `acetaminophen daily dose not computable (${u.order.draft ? 'draft order' : 'current order'}): ${u.reason}`,
    );
  },
};
