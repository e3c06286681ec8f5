import { isObject, type Json, num, objects, str } from './read.js';
import type { Dosage, DoseQuantity } from './types.js';

/** A Quantity with a finite, non-negative value and a unit (code, else unit), or undefined. */
function quantity(x: Json): DoseQuantity | undefined {
  if (!isObject(x)) return undefined;
  const value = num(x['value']);
  const unit = str(x['code']) ?? str(x['unit']);
  if (value === undefined || value < 0 || unit === undefined) return undefined;
  return { value, unit: unit.trim().toLowerCase() };
}

function count(x: Json): number {
  if (Array.isArray(x)) return x.length;
  return typeof x === 'string' ? 1 : 0;
}

function timingOf(x: Json): Dosage['timing'] {
  if (!isObject(x)) return undefined;
  const repeat = isObject(x['repeat']) ? x['repeat'] : {};
  const code = x['code'];
  const codes = isObject(code)
    ? [...objects(code['coding']).map((c) => str(c['code'])), str(code['text'])].filter((c): c is string => c !== undefined)
    : [];
  const timing: NonNullable<Dosage['timing']> = {
    timesOfDay: count(repeat['timeOfDay']),
    when: count(repeat['when']),
    codes,
  };
  const frequency = num(repeat['frequency']);
  const frequencyMax = num(repeat['frequencyMax']);
  const period = num(repeat['period']);
  const periodUnit = str(repeat['periodUnit']);
  if (frequency !== undefined) timing.frequency = frequency;
  if (frequencyMax !== undefined) timing.frequencyMax = frequencyMax;
  if (period !== undefined) timing.period = period;
  if (periodUnit !== undefined) timing.periodUnit = periodUnit;
  return timing;
}

/** One dosageInstruction, read once (docs/clinical-spec.md §3 acetaminophen-max-dose reads only this). */
export function indexDosage(d: Record<string, Json>): Dosage {
  let dose: DoseQuantity | undefined;
  for (const dr of objects(d['doseAndRate'])) {
    dose = quantity(dr['doseQuantity']) ?? (isObject(dr['doseRange']) ? quantity(dr['doseRange']['high']) : undefined);
    if (dose !== undefined) break;
  }
  // Older clients (and STU3-shaped data) put doseQuantity on the Dosage itself.
  dose ??= quantity(d['doseQuantity']) ?? quantity(d['maxDosePerAdministration']);
  const dosage: Dosage = {
    asNeeded: d['asNeededBoolean'] === true || isObject(d['asNeededCodeableConcept']),
  };
  const sequence = num(d['sequence']);
  if (sequence !== undefined) dosage.sequence = sequence;
  const text = str(d['text']);
  if (text !== undefined) dosage.text = text;
  if (dose !== undefined) dosage.dose = dose;
  const timing = timingOf(d['timing']);
  if (timing !== undefined) dosage.timing = timing;
  const max = objects(d['maxDosePerPeriod'])[0];
  const numerator = quantity(max?.['numerator']);
  const denominator = quantity(max?.['denominator']);
  if (numerator !== undefined && denominator !== undefined) dosage.maxDosePerPeriod = { numerator, denominator };
  return dosage;
}

export function indexDosages(dosageInstruction: Json): Dosage[] {
  return objects(dosageInstruction).map(indexDosage);
}
