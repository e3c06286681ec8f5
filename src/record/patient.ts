import { type Json, parseDate, str } from './read.js';
import type { PatientInfo } from './types.js';

/** The Patient: id, birth date and age at "now", deceased. */
export function indexPatient(r: Record<string, Json>, now: Date): PatientInfo {
  const birthDate = parseDate(r['birthDate']);
  // A death recorded after "now" (a chart reviewed as of an earlier date) is not yet a death; an unreadable
  // deceasedDateTime still counts as deceased.
  const deathDate = str(r['deceasedDateTime']) !== undefined ? parseDate(r['deceasedDateTime']) : undefined;
  const deceased =
    r['deceasedBoolean'] === true ||
    (str(r['deceasedDateTime']) !== undefined && (deathDate === undefined || deathDate.getTime() <= now.getTime()));
  const info: PatientInfo = { deceased };
  const id = str(r['id']);
  if (id !== undefined) info.id = id;
  if (birthDate !== undefined) {
    info.birthDate = birthDate;
    info.age = ageAt(birthDate, now);
  }
  return info;
}

export function ageAt(birthDate: Date, now: Date): number {
  let age = now.getUTCFullYear() - birthDate.getUTCFullYear();
  const m = now.getUTCMonth() - birthDate.getUTCMonth();
  if (m < 0 || (m === 0 && now.getUTCDate() < birthDate.getUTCDate())) age--;
  return age;
}
