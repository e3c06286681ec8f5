import type { Coding, FhirResource } from 'fhir/r4.js';
import type { FromSchema } from 'json-schema-to-ts';
import type { feedbackSchema, requestSchemas } from './schemas.js';

/**
 * CDS Hooks 2.0.1 types, named as in the specification's tables (https://cds-hooks.hl7.org/2.0/).
 *
 * What a client sends is typed from the ajv schemas that check it (src/cds/schemas.ts, with json-schema-to-ts),
 * so a request that passed validation is exactly what its type says, and the two cannot drift: a field the
 * schema does not require is optional here, a prefetch value is `unknown` (the schema checks no more), and
 * every object keeps the unknown properties the specification allows. What the service answers (cards) is
 * written by hand below; tests check every answer against the response schema.
 */

export type HookName = keyof typeof requestSchemas;
export const HOOK_NAMES: readonly HookName[] = ['patient-view', 'order-select', 'order-sign'];

export type PatientViewRequest = FromSchema<(typeof requestSchemas)['patient-view']>;
export type OrderSelectRequest = FromSchema<(typeof requestSchemas)['order-select']>;
export type OrderSignRequest = FromSchema<(typeof requestSchemas)['order-sign']>;

/** A validated hook request: a union on `hook`, so `request.hook === 'order-select'` narrows its context. */
export type CdsRequest = PatientViewRequest | OrderSelectRequest | OrderSignRequest;

export type FhirAuthorization = NonNullable<CdsRequest['fhirAuthorization']>;
export type PatientViewContext = PatientViewRequest['context'];
export type OrderSelectContext = OrderSelectRequest['context'];
export type OrderSignContext = OrderSignRequest['context'];
export type HookContext = CdsRequest['context'];

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

/** Feedback as sent, typed from its schema. */
export type FeedbackInput = FromSchema<typeof feedbackSchema>;
type FeedbackInputItem = FeedbackInput['feedback'][number];

/**
 * One feedback entry after validation: Epic's plural `overrideReasons` has become `overrideReason` (validate.ts),
 * so every later step reads the reason from one place.
 */
export type FeedbackItem = FeedbackInputItem;

export interface FeedbackRequest {
  feedback: FeedbackItem[];
}
