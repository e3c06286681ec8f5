import { createHmac } from 'node:crypto';

/**
 * The patient as the database knows them: HMAC-SHA-256 of the FHIR patient id under a secret from the
 * configuration (PATIENT_HASH_SECRET), hex, 32 characters. Without the secret the hash cannot be recomputed
 * from a guessed id, so a copy of the database names no patient. Every instance must share the secret: the
 * quiet periods of a patient are found by it.
 */
export type PatientHasher = (patientId: string) => string;

/** Patients whose hash is kept (a call hashes its patient for the quiet-period read and for each card). */
const REMEMBERED = 1024;

/**
 * The hasher, remembering the hashes of the last `remembered` patients (in this process only, never written):
 * one HMAC per patient instead of one per card and read.
 */
export function patientHasher(secret: string, remembered = REMEMBERED): PatientHasher {
  const known = new Map<string, string>();
  return (patientId) => {
    let hash = known.get(patientId);
    if (hash === undefined) {
      hash = createHmac('sha256', secret).update(patientId, 'utf8').digest('hex').slice(0, 32);
      if (known.size >= remembered) {
        const oldest = known.keys().next();
        if (oldest.done !== true) known.delete(oldest.value);
      }
      known.set(patientId, hash);
    }
    return hash;
  };
}
