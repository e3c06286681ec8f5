import type { GatheredEntry } from '../record/index-record.js';
import { isObject, type Json, objects, str } from '../record/read.js';

/**
 * Only the patient's own data counts (docs/clinical-spec.md §1). Wherever data enters (prefetch, fetched searches,
 * `_include`d resources, draftOrders), a resource that names another patient is dropped before any fact is
 * computed, so no fact rests on it and no suggestion references it:
 *  - a Patient whose id is not context.patientId;
 *  - a resource whose `subject` or `patient` reference names another Patient (`Patient/x`, an absolute URL ending in
 *    `Patient/x`, a `urn:uuid:` fullUrl of another Patient entry) or something that is not a Patient (a Group);
 *  - a Medication (it has no subject) that no kept MedicationRequest references: an `_include` follows the
 *    MedicationRequests of the search, so an unreferenced Medication came with another patient's order.
 * A reference that names no one (no `reference`, only an identifier or a display, an unresolvable `urn:uuid:`) is
 * not a reason to drop: it does not name another patient. What was dropped is counted by type, for the log (never
 * an id).
 */

export interface ScopedData {
  entries: GatheredEntry[];
  draftOrders: GatheredEntry[];
  /** Resources dropped, by resource type. */
  dropped: Record<string, number>;
}

type R = Record<string, Json>;

const PATIENT_REF = /(?:^|\/)Patient\/([^/]+)(?:\/_history\/[^/]+)?$/;
const TYPED_REF = /(?:^|\/)([A-Z][A-Za-z]+)\/[^/]+(?:\/_history\/[^/]+)?$/;
const MEDICATION_REF = /(?:^|\/)Medication\/([^/]+)(?:\/_history\/[^/]+)?$/;

export function ownDataOnly(
  patientId: string,
  entries: readonly GatheredEntry[],
  draftOrders: readonly GatheredEntry[] = [],
): ScopedData {
  const byFullUrl = new Map<string, R>();
  for (const e of [...entries, ...draftOrders]) if (e.fullUrl !== undefined) byFullUrl.set(e.fullUrl, e.resource as unknown as R);
  const dropped: Record<string, number> = {};
  const drop = (e: GatheredEntry): false => {
    dropped[e.resource.resourceType] = (dropped[e.resource.resourceType] ?? 0) + 1;
    return false;
  };
  const own = (e: GatheredEntry): boolean => {
    const r = e.resource as unknown as R;
    if (r['resourceType'] === 'Patient') {
      const id = str(r['id']);
      return id === undefined || id === patientId || drop(e);
    }
    for (const field of ['subject', 'patient'] as const) {
      if (namesAnother(r[field], patientId, byFullUrl)) return drop(e);
    }
    return true;
  };
  const keptEntries = entries.filter((e) => e.resource.resourceType === 'Medication' || own(e));
  const keptDrafts = draftOrders.filter(own);

  // Medications: kept when a kept MedicationRequest references them.
  const wanted = new Set<string>();
  for (const e of [...keptEntries, ...keptDrafts]) {
    const r = e.resource as unknown as R;
    if (r['resourceType'] !== 'MedicationRequest') continue;
    const ref = isObject(r['medicationReference']) ? str(r['medicationReference']['reference']) : undefined;
    if (ref === undefined) continue;
    wanted.add(ref);
    const id = MEDICATION_REF.exec(ref)?.[1];
    if (id !== undefined) wanted.add(`Medication/${id}`);
  }
  const referenced = (e: GatheredEntry): boolean => {
    const id = str((e.resource as unknown as R)['id']);
    return (id !== undefined && wanted.has(`Medication/${id}`)) || (e.fullUrl !== undefined && wanted.has(e.fullUrl)) || drop(e);
  };
  return {
    entries: keptEntries.filter((e) => e.resource.resourceType !== 'Medication' || referenced(e)),
    draftOrders: keptDrafts,
    dropped,
  };
}

/** Whether a subject/patient reference (or several) names someone other than the patient. */
function namesAnother(value: Json, patientId: string, byFullUrl: ReadonlyMap<string, R>): boolean {
  // The common case first: a single `Patient/<id>` of the patient.
  if (isObject(value) && value['reference'] === `Patient/${patientId}`) return false;
  for (const ref of objects(value)) {
    const reference = str(ref['reference']);
    if (reference === undefined || reference.startsWith('#')) continue;
    const target = byFullUrl.get(reference);
    if (target !== undefined) {
      if (target['resourceType'] !== 'Patient') return true;
      const id = str(target['id']);
      if (id !== undefined && id !== patientId) return true;
      continue;
    }
    // A urn:uuid that no entry of this data has names no one we can tell (Synthea's is the patient's own id): kept.
    if (reference.startsWith('urn:uuid:')) continue;
    const patient = PATIENT_REF.exec(reference);
    if (patient?.[1] !== undefined) {
      if (patient[1] !== patientId) return true;
      continue;
    }
    // Another type of subject (a Group, a Device, a Location): not this patient's own data.
    if (TYPED_REF.test(reference)) return true;
  }
  return false;
}
