/**
 * The tables of the service's database (both engines; times are milliseconds since the epoch, as bigint).
 * Patient identifiers are never stored: `patient_hash` is a keyed HMAC of the patient id (src/store/patient-hash.ts).
 */
export interface FeedbackTable {
  /** Content hash of the feedback item (the endpoint is idempotent by it). */
  key: string;
  service_id: string;
  card: string;
  topic: string;
  outcome: 'accepted' | 'overridden';
  /** JSON array of suggestion uuids, or null. */
  accepted_suggestions: string | null;
  override_system: string | null;
  override_code: string | null;
  override_display: string | null;
  /** The clinician's free text, kept as sent (may name a patient: never logged). */
  user_comment: string | null;
  outcome_timestamp: string;
  received_at: number;
}

export interface IssuedCardTable {
  uuid: string;
  service_id: string;
  topic: string;
  patient_hash: string;
  issued_at: number;
}

export interface QuietTable {
  patient_hash: string;
  topic: string;
  until_ms: number;
  /** What quieted it: `accepted`, `overridden:<reason code>` or `overridden`. */
  reason: string;
}

export interface ReplayTable {
  /** `iss|jti`. */
  id: string;
  expires_at: number;
}

export interface RateLimitTable {
  key: string;
  window_start: number;
  count: number;
}

export interface CounterTable {
  name: string;
  value: number;
}

export interface Tables {
  feedback: FeedbackTable;
  issued_card: IssuedCardTable;
  quiet: QuietTable;
  replay: ReplayTable;
  rate_limit: RateLimitTable;
  counter: CounterTable;
}
