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

/** Which hip a condition or order is about: from a SNOMED CT body site or a side-specific ICD-10-CM code. */
export type Laterality = 'left' | 'right' | 'both' | 'unknown';

export interface ConditionEntry extends Coded {
  resource: Condition;
  /** clinicalStatus active, recurrence or relapse, and not refuted or entered-in-error. */
  active: boolean;
  /** Not refuted or entered-in-error (counts for "a history of"). */
  valid: boolean;
  /** Entered in error: as if it were not there at all. */
  enteredInError: boolean;
  /** onsetDateTime, else onsetPeriod.start, else recordedDate (docs/clinical-spec.md §1). */
  onset?: Date;
  /** recordedDate, when given (an active episode counts a condition recorded within its window). */
  recorded?: Date;
  /** The encounter it was recorded in (`Encounter/id` or the reference as written). */
  encounter?: string;
  /**
   * The side: a side-specific ICD-10-CM code (M16.11 right, M16.12 left, M16.0 bilateral), else a SNOMED CT body
   * site with laterality (valuesets/laterality-*), else the words of the body site; 'unknown' when nothing says.
   */
  laterality: Laterality;
}

export interface ObservationEntry {
  ref: string;
  keys: readonly string[];
  sets: ReadonlySet<string>;
  date?: Date;
  value?: number;
  unit?: string;
  instrument?: PromInstrument;
  /**
   * A PROM value outside its instrument's scale (HOOS JR 101/100, pain 11/10): "cannot compute". The value is
   * dropped (never shown, never used); this says so for the log.
   */
  outOfScale?: boolean;
}

/** A quantity of a dosage: a finite, non-negative value and its unit (code, else unit; lower case). */
export interface DoseQuantity {
  value: number;
  unit: string;
}

/** One dosageInstruction, read once by the indexer (src/record/dosage.ts); dosing reads only this. */
export interface Dosage {
  /** Dosages of the same sequence (or none) run together; different sequences follow each other. */
  sequence?: number;
  text?: string;
  /** doseAndRate.doseQuantity, doseRange.high, a Dosage-level doseQuantity, else maxDosePerAdministration. */
  dose?: DoseQuantity;
  timing?: {
    frequency?: number;
    frequencyMax?: number;
    period?: number;
    periodUnit?: string;
    /** How many timeOfDay and `when` entries the schedule lists. */
    timesOfDay: number;
    when: number;
    /** timing.code codings' codes and its text (BID, Q6H ...). */
    codes: readonly string[];
  };
  maxDosePerPeriod?: { numerator: DoseQuantity; denominator: DoseQuantity };
  asNeeded: boolean;
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
  /** The dosage instructions, read once. */
  dosages: readonly Dosage[];
  /** Any dosage is as needed (asNeededBoolean true, or an asNeededCodeableConcept). */
  asNeeded: boolean;
  /** The encounter it was ordered in (`Encounter/id` or the reference as written). */
  encounter?: string;
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
  /** Numbers of the record that cannot be real ("cannot compute"), for the log: no patient data in the text. */
  cannotCompute: readonly string[];
}

export type AnyResource = FhirResource;
