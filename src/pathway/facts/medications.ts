import { HIP_ANALGESIC_CLASSES, VS } from '../value-set-ids.js';
import type { MedicationEntry, PatientRecord } from '../../record/types.js';
import type { CurrentMedications } from './types.js';

/**
 * Whether a medication is of a class: by the product's (route-aware) classes, or by one of its ingredients (a
 * tramadol product is an opioid by its product and tramadol by its ingredient).
 */
export function hasClass(m: MedicationEntry, set: string): boolean {
  return m.classes.has(set) || m.ingredients.some((i) => i.classes.includes(set));
}

/** docs/clinical-spec.md §1 current: a MedicationRequest active or on-hold (not a draft), of a class. */
export function currentOf(record: PatientRecord, set: string, byIngredient = false): MedicationEntry[] {
  return record.medications.filter((m) => m.current && (byIngredient ? hasClass(m, set) : m.classes.has(set)));
}

/** The current medications the pathway names (docs/clinical-spec.md §2, §3). */
export function currentMedications(record: PatientRecord): CurrentMedications {
  return {
    nsaid: currentOf(record, VS.nsaid),
    acetaminophen: currentOf(record, VS.acetaminophen),
    duloxetine: currentOf(record, VS.duloxetine),
    opioid: currentOf(record, VS.opioid),
    ppi: currentOf(record, VS.ppi),
    antithrombotic: currentOf(record, VS.antithrombotic),
    clopidogrel: currentOf(record, VS.clopidogrel, true),
  };
}

/** docs/clinical-spec.md §2 failed conservative care: a current hip analgesic (NSAID, acetaminophen, duloxetine) is named, never enough. */
export function currentHipAnalgesics(record: PatientRecord): MedicationEntry[] {
  return record.medications.filter((m) => m.current && HIP_ANALGESIC_CLASSES.some((c) => m.classes.has(c)));
}
