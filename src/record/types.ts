import type {
  Condition,
  DiagnosticReport,
  FhirResource,
  ImagingStudy,
  MedicationRequest,
  Procedure,
  ServiceRequest,
} from 'fhir/r4.js';
import type { ProductIngredient, PromInstrument } from '../terminology/valuesets.js';

/**
 * The patient's record, indexed once per call. Every rule reads these entries, never the raw resources: codes
 * are normalised `system|code` keys and value-set membership is already a set.
 */

export interface Coded {
  /** `Type/id` (or `#id` / fullUrl for resources without an id). */
  ref: string;
  keys: readonly string[];
  sets: ReadonlySet<string>;
  /** A human-readable name for cards: the resource's text or first display. */
  display: string;
}

export interface ConditionEntry extends Coded {
  resource: Condition;
  /** clinicalStatus active, recurrence or relapse, and not refuted or entered-in-error. */
  active: boolean;
  /** Not refuted or entered-in-error (counts for "a history of"). */
  valid: boolean;
  /** Entered in error: as if it were not there at all. */
  enteredInError: boolean;
  onset?: Date;
  /** Body-site or ICD-10-CM laterality: 'left' | 'right' when known. */
  laterality?: 'left' | 'right';
}

export interface ObservationEntry {
  ref: string;
  keys: readonly string[];
  sets: ReadonlySet<string>;
  date?: Date;
  value?: number;
  unit?: string;
  instrument?: PromInstrument;
}

export interface Ingredient {
  /** `rxnorm|code` of the ingredient, or `name|<name>` when its code is not known. */
  key: string;
  name: string;
  strength?: ProductIngredient['strength'];
  /** Medication classes (value sets medication-*) of this ingredient. */
  classes: readonly string[];
}

export interface MedicationEntry extends Coded {
  resourceType: 'MedicationRequest';
  resource: MedicationRequest;
  status: string;
  /** active or on-hold, and not a draft. */
  current: boolean;
  draft: boolean;
  authoredOn?: Date;
  ingredients: readonly Ingredient[];
  /** Medication classes (value sets medication-*), from every ingredient. */
  classes: ReadonlySet<string>;
  doseForm?: string;
  /** How the medication was recognised. */
  matchedBy: 'product' | 'ingredient' | 'medication-resource' | 'text' | 'none';
  /**
   * By mouth or not, when the order says: its dosage route (coded or in words), else its product's route, else
   * the words of its medication text ("IV", "suppository"). Unknown when nothing says.
   */
  route?: 'oral' | 'other';
  reasons: Reasons;
}

export interface Reasons {
  /** Value sets of reasonCode codings. */
  codeSets: ReadonlySet<string>;
  hasReasonCode: boolean;
  /** reasonReference, resolved to conditions of the record where possible. */
  conditions: readonly ConditionEntry[];
}

export type EventResource = Procedure | ServiceRequest | DiagnosticReport | ImagingStudy;

export interface EventEntry extends Coded {
  resourceType: EventResource['resourceType'];
  resource: EventResource;
  status: string;
  draft: boolean;
  date?: Date;
  /** DiagnosticReport.conclusionCode value sets. */
  conclusionSets: ReadonlySet<string>;
  /** The value sets of each conclusionCode coding, one set per coding (empty list: no conclusion code). */
  conclusions: readonly ReadonlySet<string>[];
  /** Each conclusionCode concept: its text or display, and the value sets of its codings. */
  conclusionConcepts: readonly { display: string; sets: ReadonlySet<string> }[];
  reasons: Reasons;
}

export type OrderEntry = MedicationEntry | EventEntry;

export interface PatientInfo {
  id?: string;
  birthDate?: Date;
  age?: number;
  deceased: boolean;
}

export interface PatientRecord {
  now: Date;
  patientId: string;
  encounterId?: string;
  userId?: string;
  patient: PatientInfo;
  conditions: readonly ConditionEntry[];
  observations: readonly ObservationEntry[];
  medications: readonly MedicationEntry[];
  events: readonly EventEntry[];
  /** Orders of context.draftOrders (order-select and order-sign). */
  drafts: readonly OrderEntry[];
  /** The drafts this call judges: order-select's selections, or every draft for order-sign. */
  judged: readonly OrderEntry[];
  /** Resource types the indexer saw, with counts (for the evaluate tool and logs). */
  counts: Readonly<Record<string, number>>;
  /** Resources that could not be read and were skipped, with why (no patient data in the text). */
  skipped: readonly string[];
}

export type AnyResource = FhirResource;
