import type { Dosage, DoseQuantity, Ingredient, MedicationEntry } from '../record/types.js';
import { isObject, objects, type Json } from '../record/read.js';

/**
 * The most of one ingredient (acetaminophen) a MedicationRequest allows in a day, from its dosageInstruction:
 *  - dose per administration: doseAndRate.doseQuantity (or doseRange.high, or maxDosePerAdministration) in mg or g,
 *    or in tablets/capsules/mL times the product's strength;
 *  - administrations per day: timing.repeat frequency(Max) per period(periodUnit), or its timeOfDay / when
 *    entries, or timing.code (BID, TID, QID, Q6H ...);
 *  - maxDosePerPeriod caps it, and stands alone for "as needed" orders without a schedule.
 * Dosages with the same `sequence` (or none) run together and are added; different sequences follow each other
 * and the largest counts. When the dose cannot be computed the answer says why, and no card is made from it.
 */

export type DailyDose = { ok: true; mg: number; explanation: string } | { ok: false; reason: string };

const MASS_MG: Record<string, number> = {
  mg: 1,
  milligram: 1,
  milligrams: 1,
  g: 1000,
  gram: 1000,
  grams: 1000,
  mcg: 0.001,
  ug: 0.001,
  microgram: 0.001,
};
const UNIT_DOSE = new Set([
  '{tbl}',
  'tbl',
  'tab',
  'tabs',
  'tablet',
  'tablets',
  '{tablet}',
  '{tablets}',
  '{pill}',
  'pill',
  'pills',
  'capsule',
  'capsules',
  '{capsule}',
  'cap',
  'caps',
  'caplet',
  'caplets',
  '{caplet}',
  'each',
  'ea',
  '{each}',
  '1',
  '{dose}',
  'dose',
  // SNOMED CT units of presentation
  '385055001',
  '732936001',
  '732937005',
  '428673006',
]);
const VOLUME_ML: Record<string, number> = { ml: 1, milliliter: 1, millilitre: 1, l: 1000 };
const PERIOD_HOURS: Record<string, number> = { s: 1 / 3600, min: 1 / 60, h: 1, d: 24, wk: 168, mo: 730.5, a: 8766 };
/** HL7 v3 GTSAbbreviation timing codes: administrations per day. */
const TIMING_CODES: Record<string, number> = {
  QD: 1,
  QDAY: 1,
  AM: 1,
  PM: 1,
  BED: 1,
  BID: 2,
  TID: 3,
  QID: 4,
  Q1H: 24,
  Q2H: 12,
  Q3H: 8,
  Q4H: 6,
  Q6H: 4,
  Q8H: 3,
  Q12H: 2,
  QOD: 0.5,
};

/** mg of the ingredient in an amount of the product, or why not. */
function toMg(
  q: DoseQuantity,
  ingredient: Ingredient,
  singleIngredient: boolean,
): { mg: number; text: string } | { reason: string } {
  const mass = MASS_MG[q.unit];
  if (mass !== undefined) {
    if (!singleIngredient)
      return { reason: `a dose in ${q.unit} of a combination product does not say how much is ${ingredient.name}` };
    return { mg: q.value * mass, text: `${fmt(q.value)} ${q.unit}` };
  }
  const strength = ingredient.strength;
  if (UNIT_DOSE.has(q.unit)) {
    if (strength === undefined) return { reason: `the ${ingredient.name} strength of the product is not known` };
    if (strength.per !== undefined && !UNIT_DOSE.has(strength.per.unit.toLowerCase()))
      return { reason: `the strength is per ${strength.per.unit}, not per unit` };
    const perUnit = strengthMg(strength) / (strength.per?.value ?? 1);
    if (Number.isNaN(perUnit)) return { reason: `the strength unit ${strength.unit} is not a mass` };
    return { mg: q.value * perUnit, text: `${fmt(q.value)} × ${fmt(perUnit)} mg` };
  }
  const volume = VOLUME_ML[q.unit];
  if (volume !== undefined) {
    const perUnit = strength?.per?.unit.toLowerCase();
    const perMl = perUnit !== undefined ? VOLUME_ML[perUnit] : undefined;
    if (strength?.per === undefined || perMl === undefined)
      return { reason: `the ${ingredient.name} concentration of the product is not known` };
    const mgPerMl = strengthMg(strength) / (strength.per.value * perMl);
    if (Number.isNaN(mgPerMl)) return { reason: `the strength unit ${strength.unit} is not a mass` };
    return { mg: q.value * volume * mgPerMl, text: `${fmt(q.value)} mL × ${fmt(mgPerMl)} mg/mL` };
  }
  return { reason: `the dose unit "${q.unit}" is not one the service can convert` };
}

function strengthMg(strength: NonNullable<Ingredient['strength']>): number {
  const factor = MASS_MG[strength.unit.toLowerCase()];
  return factor === undefined ? NaN : strength.value * factor;
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Math.round(n * 100) / 100);
}

/** Administrations per day from a dosage's timing, or undefined when it does not say. */
function perDay(timing: Dosage['timing']): { n: number; text: string } | undefined {
  if (timing === undefined) return undefined;
  const frequency = timing.frequencyMax ?? timing.frequency;
  const { period, periodUnit: unit } = timing;
  const hours = unit !== undefined ? PERIOD_HOURS[unit] : undefined;
  if (period !== undefined && period > 0 && hours !== undefined) {
    const f = frequency ?? 1;
    const every = f === 1 ? `every ${fmt(period)} ${unit ?? ''}` : `${fmt(f)} times per ${fmt(period)} ${unit ?? ''}`;
    return { n: (f * 24) / (period * hours), text: every };
  }
  const count = timing.timesOfDay || timing.when;
  if (count > 0 && (unit === undefined || unit === 'd')) return { n: count * (frequency ?? 1), text: `${count} times a day` };
  if (frequency !== undefined && unit === 'd') return { n: frequency, text: `${fmt(frequency)} times a day` };
  for (const c of timing.codes) {
    const n = TIMING_CODES[c.toUpperCase()];
    if (n !== undefined) return { n, text: c.toUpperCase() };
  }
  return undefined;
}

/** Daily maximum (mg of the ingredient) of one Dosage. */
function dosageDailyMax(dosage: Dosage, ingredient: Ingredient, single: boolean): DailyDose {
  const { dose } = dosage;
  let scheduled: DailyDose | undefined;
  const schedule = perDay(dosage.timing);
  if (dose !== undefined && schedule !== undefined) {
    const mg = toMg(dose, ingredient, single);
    if ('reason' in mg) return { ok: false, reason: mg.reason };
    scheduled = { ok: true, mg: mg.mg * schedule.n, explanation: `${mg.text} ${schedule.text}` };
  }

  let cap: DailyDose | undefined;
  if (dosage.maxDosePerPeriod !== undefined) {
    const { numerator, denominator } = dosage.maxDosePerPeriod;
    const hours = PERIOD_HOURS[denominator.unit] ?? (denominator.unit === 'day' || denominator.unit === 'days' ? 24 : undefined);
    if (hours !== undefined && denominator.value > 0) {
      const mg = toMg(numerator, ingredient, single);
      if ('reason' in mg) return { ok: false, reason: mg.reason };
      const periodHours = denominator.value * hours;
      // A cap over several days allows at most all of it in one day; a cap over hours repeats through the day.
      const daily = periodHours >= 24 ? mg.mg : (mg.mg * 24) / periodHours;
      cap = { ok: true, mg: daily, explanation: `at most ${mg.text} per ${fmt(denominator.value)} ${denominator.unit}` };
    }
  }
  if (scheduled !== undefined && cap !== undefined && scheduled.ok && cap.ok) {
    return scheduled.mg <= cap.mg ? scheduled : cap;
  }
  if (scheduled !== undefined) return scheduled;
  if (cap !== undefined) return cap;
  if (dose === undefined) return { ok: false, reason: 'the dosage gives no dose quantity and no maxDosePerPeriod' };
  return { ok: false, reason: 'the dosage gives no frequency (timing) and no maxDosePerPeriod' };
}

/**
 * The daily maximum of an ingredient (by value set, e.g. medication-acetaminophen) that an order allows. A result
 * that cannot be real (not finite, or above `implausibleMg`: "3e+21 g") is "cannot compute" (docs/clinical-spec.md
 * §1): never shown, never used for a decision.
 */
export function dailyMaximum(order: MedicationEntry, ingredientClass: string, implausibleMg = Infinity): DailyDose {
  const ingredient = order.ingredients.find((i) => i.classes.includes(ingredientClass));
  if (ingredient === undefined) return { ok: false, reason: 'the order has no ingredient of this class' };
  if (order.dosages.length === 0) return { ok: false, reason: 'the order has no dosageInstruction' };
  const single = order.ingredients.length === 1;
  const bySequence = new Map<string, DailyDose[]>();
  for (const d of order.dosages) {
    const key = d.sequence === undefined ? 'none' : String(d.sequence);
    const list = bySequence.get(key) ?? [];
    list.push(dosageDailyMax(d, ingredient, single));
    bySequence.set(key, list);
  }
  let best: DailyDose | undefined;
  for (const list of bySequence.values()) {
    const failed = list.find((d) => !d.ok);
    if (failed !== undefined) return failed;
    const ok = list as Extract<DailyDose, { ok: true }>[];
    const sum: DailyDose = {
      ok: true,
      mg: ok.reduce((s, d) => s + d.mg, 0),
      explanation: ok.map((d) => d.explanation).join(' + '),
    };
    if (best === undefined || (best.ok && sum.mg > best.mg)) best = sum;
  }
  if (best?.ok === true && (!Number.isFinite(best.mg) || best.mg > implausibleMg))
    return { ok: false, reason: 'the computed daily dose cannot be real (cannot compute)' };
  return best ?? { ok: false, reason: 'no usable dosage' };
}

/** A suggested acetaminophen schedule, with the numbers its card template shows. */
export interface Regimen {
  doseMg: number;
  everyHours: number;
  dailyMg: number;
  /** The daily maximum the schedule was chosen within (written into maxDosePerPeriod). */
  maxDailyMg: number;
  /** "2 tablets of 500 mg", when the dose is given for a product of known strength. */
  unitText?: string;
}

/**
 * The first configured schedule (most preferred first) whose daily dose fits within `maxDailyMg`. With a
 * product of known strength per tablet or capsule, each dose is rounded down to whole units (1000 mg of a
 * 325 mg tablet becomes 975 mg, 3 tablets), so the schedule can be taken as written.
 */
export function regimenWithin(
  regimens: readonly { doseMg: number; everyHours: number }[],
  maxDailyMg: number,
  unit?: { mg: number; form: string },
): Regimen | undefined {
  for (const r of regimens) {
    const units = unit !== undefined ? Math.floor(r.doseMg / unit.mg) : undefined;
    if (units === 0) continue;
    const doseMg = unit !== undefined && units !== undefined ? units * unit.mg : r.doseMg;
    const dailyMg = (doseMg * 24) / r.everyHours;
    if (dailyMg > maxDailyMg) continue;
    const regimen: Regimen = { doseMg, everyHours: r.everyHours, dailyMg, maxDailyMg };
    if (unit !== undefined && units !== undefined)
      regimen.unitText = `${units} ${unit.form}${units === 1 ? '' : 's'} of ${fmt(unit.mg)} mg`;
    return regimen;
  }
  return undefined;
}

/** The mg of one ingredient class per tablet or capsule of a single-ingredient product, when known. */
export function unitStrength(order: MedicationEntry, ingredientClass: string): { mg: number; form: string } | undefined {
  if (order.ingredients.length !== 1) return undefined;
  const ingredient = order.ingredients[0];
  if (ingredient === undefined || !ingredient.classes.includes(ingredientClass) || ingredient.strength === undefined)
    return undefined;
  const { strength } = ingredient;
  if (strength.per !== undefined && !UNIT_DOSE.has(strength.per.unit.toLowerCase())) return undefined;
  const mg = strengthMg(strength) / (strength.per?.value ?? 1);
  if (!Number.isFinite(mg) || mg <= 0) return undefined;
  return { mg, form: order.doseForm === 'capsule' ? 'capsule' : 'tablet' };
}

/**
 * The dosage that replaces an acetaminophen draft over the daily maximum (acetaminophen-max-dose, safe schedule):
 * the schedule chosen within the patient's limit, and what the draft said that must stay — its as-needed flag (or
 * as-needed reason) and its route (the product's oral route when the draft names none). `dailyMg` is the
 * schedule's own daily total, the `maxDosePerPeriod` the card writes, so cap and schedule agree. The product is
 * not touched: the update replaces only `dosageInstruction`.
 */
export interface SafeDosage {
  doseMg: number;
  everyHours: number;
  dailyMg: number;
  unitText?: string;
  asNeeded: boolean;
  asNeededBoolean?: boolean;
  asNeededCodeableConcept?: Json;
  route?: Json;
  byMouth: boolean;
}

const ORAL_ROUTE = { coding: [{ system: 'http://snomed.info/sct', code: '26643006', display: 'Oral route' }] };

export function safeDosage(order: MedicationEntry, regimen: Regimen): SafeDosage {
  const first = objects(order.resource.dosageInstruction)[0] ?? {};
  const reason = first['asNeededCodeableConcept'];
  const flag = first['asNeededBoolean'];
  let route: Json = first['route'];
  if (!isObject(route)) route = order.route === 'oral' ? ORAL_ROUTE : undefined;
  const dosage: SafeDosage = {
    doseMg: regimen.doseMg,
    everyHours: regimen.everyHours,
    dailyMg: regimen.dailyMg,
    asNeeded: isObject(reason) || flag === true,
    byMouth: order.route === 'oral',
  };
  if (regimen.unitText !== undefined) dosage.unitText = regimen.unitText;
  if (isObject(reason)) dosage.asNeededCodeableConcept = reason;
  else dosage.asNeededBoolean = flag === true;
  if (route !== undefined) dosage.route = route;
  return dosage;
}
