import type { Bundle, Coding, FhirResource } from 'fhir/r4.js';

/** CDS Hooks 2.0.1 types, named as in the specification's tables (https://cds-hooks.hl7.org/2.0/). */

export type HookName = 'patient-view' | 'order-select' | 'order-sign';
export const HOOK_NAMES: readonly HookName[] = ['patient-view', 'order-select', 'order-sign'];

export interface FhirAuthorization {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  subject: string;
  patient?: string;
}

export interface PatientViewContext {
  userId: string;
  patientId: string;
  encounterId?: string;
}

export interface OrderSelectContext extends PatientViewContext {
  selections: string[];
  draftOrders: Bundle;
}

export interface OrderSignContext extends PatientViewContext {
  draftOrders: Bundle;
}

export type HookContext = PatientViewContext | OrderSelectContext | OrderSignContext;

/** A prefetch value as clients send it: a resource, a Bundle, an OperationOutcome, or null. */
export type PrefetchValue = FhirResource | null;

export interface CdsRequest<C extends HookContext = HookContext> {
  hook: HookName;
  hookInstance: string;
  fhirServer?: string;
  fhirAuthorization?: FhirAuthorization;
  context: C;
  prefetch?: Record<string, PrefetchValue>;
}

export interface CdsServiceDefinition {
  hook: HookName;
  id: string;
  title: string;
  description: string;
  prefetch: Record<string, string>;
  usageRequirements?: string;
}

export interface Source {
  label: string;
  url?: string;
  icon?: string;
  topic?: Coding;
}

export interface Action {
  type: 'create' | 'update' | 'delete';
  description: string;
  resource?: FhirResource;
  /** 2.0.1: a relative reference (`Type/id`), for delete actions. */
  resourceId?: string;
}

export interface Suggestion {
  label: string;
  uuid: string;
  isRecommended?: boolean;
  actions?: Action[];
}

export interface Link {
  label: string;
  url: string;
  type: 'absolute' | 'smart';
  appContext?: string;
}

export interface Card {
  uuid: string;
  summary: string;
  detail?: string;
  indicator: 'info' | 'warning' | 'critical';
  source: Source;
  suggestions?: Suggestion[];
  selectionBehavior?: 'at-most-one' | 'any';
  overrideReasons?: Coding[];
  links?: Link[];
}

export interface CdsResponse {
  cards: Card[];
  systemActions?: Action[];
}

export interface FeedbackItem {
  card: string;
  outcome: 'accepted' | 'overridden';
  acceptedSuggestions?: { id: string }[];
  overrideReason?: { reason?: Coding; userComment?: string };
  outcomeTimestamp: string;
}

export interface FeedbackRequest {
  feedback: FeedbackItem[];
}
