import type { FhirResource } from 'fhir/r4.js';
import type { DoseLine } from './rules/acetaminophen-max-dose.js';
import type { MedicationEntry, OrderEntry, EventEntry, ConditionEntry } from '../record/types.js';
import type { PathwayConfig } from './config.js';
import type { Regimen } from './dosing.js';
import type { Diagnosis, PatientFacts } from './facts.js';
import type { TopicCode } from './topics.js';

/**
 * A rule is a small pure function: the patient's facts (and, for order hooks, the orders being judged) in, a
 * finding or nothing out. It declares its named inclusion (`when`) and exclusion (`unless`) conditions, which
 * the runner checks and docs/pathway.md lists (the same names the code runs); `evaluate` then says *which*
 * suggestions fit and with what evidence. The wording lives in the card template (cards/<topic>.yaml).
 */

/** A named condition of docs/clinical-spec.md (a term of §2, or a clause of a topic of §3). */
export interface Condition {
  /** As a clinician reads it: "persistent hip pain", "no radiograph on record (12 months)". */
  readonly name: string;
  holds(input: RuleInput): boolean;
}

export function condition(name: string, holds: (input: RuleInput) => boolean): Condition {
  return { name, holds };
}

/** A suggestion of the card template to offer, with the values it needs. */
export interface SuggestionChoice {
  /** Key of the suggestion in the card template. */
  id: string;
  /** Orders the suggestion deletes or updates. */
  orders?: readonly OrderEntry[];
  /** Values for the suggestion's placeholders (e.g. the dose regimen). */
  values?: Readonly<Record<string, unknown>>;
}

/** avoid-opioids: the next non-opioid step (one value; the card template reads its flags). */
export type NextStep = 'acetaminophen' | 'duloxetine' | 'ordered-acetaminophen' | 'ordered-duloxetine' | 'none';

type None = Readonly<Record<string, never>>;

/** The evidence each topic's card receives, named for its template (dates stay Dates; the renderer formats them). */
export interface EvidenceByTopic {
  'radiographs-first': None;
  'mri-without-contrast': { radiograph: EventEntry };
  'advanced-imaging-for-surgical-planning': { diagnoses: readonly Diagnosis[] };
  'exercise-therapy-first': None;
  'overuse-early-care': { injury: ConditionEntry };
  'exercise-program-review': None;
  'outcome-measure-tracking': None;
  'add-acetaminophen': { regimen: Regimen };
  'add-duloxetine': None;
  'nsaid-gastroprotection': {
    /** Current clopidogrel: pantoprazole is offered instead of omeprazole. */
    clopidogrel: readonly MedicationEntry[];
    /** Current anticoagulants and antiplatelets: the card asks whether the NSAID is still needed. */
    antithrombotics: readonly MedicationEntry[];
    askNsaidStillNeeded: boolean;
  };
  'intra-articular-corticosteroid': { analgesics: readonly MedicationEntry[] };
  'orthopedic-referral': None;
  'hip-preservation-referral': { diagnoses: readonly Diagnosis[] };
  'mri-before-radiographs': { orders: readonly EventEntry[] };
  'avoid-opioids': {
    orders: readonly MedicationEntry[];
    nextStep: NextStep;
    /** Flags of nextStep for the template (Mustache cannot compare values): exactly one is true. */
    nextIsAcetaminophen: boolean;
    nextIsDuloxetine: boolean;
    nextIsOrderedAcetaminophen: boolean;
    nextIsOrderedDuloxetine: boolean;
    nextIsNone: boolean;
  };
  'acetaminophen-max-dose': {
    lines: readonly DoseLine[];
    totalMg: number;
    limitMg: number;
    totalG: number;
    limitG: number;
    /** Orders whose dose cannot be computed: how many (the reasons go to the log, never to the card). */
    unknown: readonly { order: MedicationEntry; reason: string }[];
  };
  'avoid-hyaluronic-acid': { orders: readonly OrderEntry[] };
  'avoid-arthroscopy-in-oa': { orders: readonly OrderEntry[]; osteoarthritis: readonly Diagnosis[] };
}

export interface FindingOf<T extends TopicCode> {
  topic: T;
  evidence: EvidenceByTopic[T];
  suggestions: readonly SuggestionChoice[];
}

/** A finding of any topic. */
export type Finding = { [T in TopicCode]: FindingOf<T> }[TopicCode];

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

export interface RuleOf<T extends TopicCode> {
  topic: T;
  hooks: 'patient-view' | 'order';
  /**
   * The resource types the rule's decision rests on. When one of them is unknown (a query the FHIR server could not
   * answer, a prefetch whose next pages could not be followed: docs/fhir-data.md), the rule does not run: its card,
   * or its silence, could be wrong. Shown in docs/pathway.md and on the topic's page.
   */
  needs: readonly ResourceType[];
  /** The value sets (valuesets/<id>.json) whose codes decide this rule, shown on the topic's page. */
  valueSets: readonly string[];
  /** Inclusion: every condition must hold. */
  when: readonly Condition[];
  /** Exclusion: the rule does not fire when any holds. */
  unless: readonly Condition[];
  /** The suggestion ids of cards/<topic>.yaml the rule may choose (checked at start-up). */
  offers: readonly string[];
  /** What it suggests and when, in words (docs/pathway.md). */
  suggests?: string;
  /** Once `when` holds and `unless` does not: the finding, or null when nothing fits after all. */
  evaluate(input: RuleInput): FindingOf<T> | null;
  /**
   * Why the rule could not decide, for the log (never for a card), e.g. an acetaminophen dose that cannot be
   * computed. Lines must not contain patient data.
   */
  undecided?(input: RuleInput): string[];
}

/** A rule of any topic. */
export type Rule = { [T in TopicCode]: RuleOf<T> }[TopicCode];

export function isMedication(o: OrderEntry): o is MedicationEntry {
  return o.resourceType === 'MedicationRequest';
}

/** Whether a rule's conditions let it fire: every `when` holds and no `unless` does. */
export function applies(rule: Pick<Rule, 'when' | 'unless'>, input: RuleInput): boolean {
  return rule.when.every((c) => c.holds(input)) && !rule.unless.some((c) => c.holds(input));
}

/** A rule in words, from its own named conditions: what docs/pathway.md, the topic pages and the CodeSystem say. */
export function ruleInWords(rule: Rule): { fires: string; notWhen?: string; suggestion?: string } {
  return {
    fires: `${rule.when.map((c) => c.name).join('; and ')}.`,
    ...(rule.unless.length > 0 ? { notWhen: `${rule.unless.map((c) => c.name).join('; or ')}.` } : {}),
    ...(rule.suggests !== undefined ? { suggestion: rule.suggests } : {}),
  };
}
