import type { FhirResource } from 'fhir/r4.js';
import type { MedicationEntry, OrderEntry } from '../record/types.js';
import type { PathwayConfig } from './config.js';
import type { PatientFacts } from './facts.js';
import type { TopicCode } from './topics.js';

/**
 * A rule is a small pure function: the patient's facts (and, for order hooks, the orders being judged) in, a
 * finding or nothing out. It decides *whether* a topic applies and *which* suggestions fit; the wording lives
 * in the card template (cards/<topic>.yaml).
 */

/** A suggestion of the card template to offer, with the values it needs. */
export interface SuggestionChoice {
  /** Key of the suggestion in the card template. */
  id: string;
  /** Orders the suggestion deletes or updates. */
  orders?: readonly OrderEntry[];
  /** Values for the suggestion's placeholders (e.g. the dose regimen). */
  values?: Readonly<Record<string, unknown>>;
}

export interface Finding {
  topic: TopicCode;
  /** The facts behind the finding, named for the card template (dates stay Dates; the renderer formats them). */
  evidence: Readonly<Record<string, unknown>>;
  suggestions: readonly SuggestionChoice[];
}

export interface RuleInput {
  facts: PatientFacts;
  /** Orders this call judges (order-select: the selections; order-sign: every draft). Empty for patient-view. */
  judged: readonly OrderEntry[];
  /** Every draft order of this call (judged or not). */
  drafts: readonly OrderEntry[];
  config: PathwayConfig;
}

/** A FHIR resource type, as the record's data is gathered by type. */
export type ResourceType = FhirResource['resourceType'];

export interface Rule {
  topic: TopicCode;
  hooks: 'patient-view' | 'order';
  /**
   * The resource types the rule's decision rests on. When one of them is unknown (a query the FHIR server could not
   * answer, a prefetch whose next pages could not be followed: docs/fhir-data.md), the rule does not run: its card,
   * or its silence, could be wrong. Shown in docs/pathway.md.
   */
  needs: readonly ResourceType[];
  /** In words, for clinicians and docs/pathway.md: when the card fires, when it must not, what it suggests. */
  about: { fires: string; notWhen?: string; suggestion?: string };
  /** The value sets (valuesets/<id>.json) whose codes decide this rule, shown on the topic's page. */
  valueSets?: readonly string[];
  evaluate(input: RuleInput): Finding | null;
  /**
   * Why the rule could not decide, for the log (never for a card), e.g. an acetaminophen dose that cannot be
   * computed. Lines must not contain patient data.
   */
  undecided?(input: RuleInput): string[];
}

export function isMedication(o: OrderEntry): o is MedicationEntry {
  return o.resourceType === 'MedicationRequest';
}
