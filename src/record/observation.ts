import type { Terminology } from '../terminology/valuesets.js';
import { keysOf } from './codes.js';
import { codingsOf, firstDate, isObject, type Json, num, objects, periodStart, str } from './read.js';
import type { ObservationEntry } from './types.js';

const OBSERVATION_VALID = new Set(['final', 'amended', 'corrected', 'preliminary']);
const SCALE_MAX = { '0-10': 10, '0-100': 100 } as const;

/**
 * An Observation with a result (final, amended, corrected, preliminary), as one entry per coded value: the
 * Observation itself and each component (a HOOS panel carries its subscales as components). A PROM value
 * outside its instrument's scale is "cannot compute" (docs/clinical-spec.md §1): dropped, flagged for the log.
 */
export function indexObservation(terminology: Terminology, r: Record<string, Json>, ref: string): ObservationEntry[] {
  const status = str(r['status']);
  if (status !== undefined && !OBSERVATION_VALID.has(status)) return [];
  const date = firstDate(r['effectiveDateTime'], periodStart(r['effectivePeriod']), r['effectiveInstant'], r['issued']);
  const out: ObservationEntry[] = [];
  const add = (codeElement: Json, valueHolder: Record<string, Json>): void => {
    const keys = keysOf(codingsOf(codeElement));
    if (keys.length === 0) return;
    const entry: ObservationEntry = { ref, keys, sets: terminology.membership(keys) };
    if (date !== undefined) entry.date = date;
    const q = valueHolder['valueQuantity'];
    const unit = isObject(q) ? (str(q['code']) ?? str(q['unit'])) : undefined;
    if (unit !== undefined) entry.unit = unit;
    for (const k of keys) {
      const instrument = terminology.promInstrument(k);
      if (instrument !== undefined) {
        entry.instrument = instrument;
        break;
      }
    }
    const value = isObject(q) ? num(q['value']) : (num(valueHolder['valueInteger']) ?? num(valueHolder['valueDecimal']));
    if (value !== undefined) {
      if (entry.instrument !== undefined && (value < 0 || value > SCALE_MAX[entry.instrument.scale])) entry.outOfScale = true;
      else entry.value = value;
    }
    out.push(entry);
  };
  add(r['code'], r);
  for (const component of objects(r['component'])) add(component['code'], component);
  return out;
}
