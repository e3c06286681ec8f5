import { createHmac } from 'node:crypto';

/**
 * The patient as the database knows them: HMAC-SHA-256 of the FHIR patient id under a secret from the
 * configuration (PATIENT_HASH_SECRET), hex, 32 characters. Without the secret the hash cannot be recomputed
 * from a guessed id, so a copy of the database names no patient. Every instance must share the secret: the
 * quiet periods of a patient are found by it.
 */
export type PatientHasher = (patientId: string) => string;

export function patientHasher(secret: string): PatientHasher {
  return (patientId) => createHmac('sha256', secret).update(patientId, 'utf8').digest('hex').slice(0, 32);
}
