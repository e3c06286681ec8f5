import { ID_CHARS } from './ids.js';

/**
 * JSON Schemas written from the CDS Hooks 2.0.1 tables (https://cds-hooks.hl7.org/2.0/), compiled once by ajv
 * at start-up (see validate.ts). Each property carries the table row it comes from. Unknown properties are
 * allowed everywhere: the specification lets clients add `extension` and future fields.
 *
 * Deliberate tolerances, all for what real clients send (docs/ehr-integration.md says who sends what):
 *  - a Bundle without `type` is accepted (the sandbox);
 *  - FHIR resources inside the request are checked only for `resourceType`; the record indexer copes with the
 *    rest (single objects where R4 has arrays, missing fields);
 *  - ids up to 256 characters (Epic), any non-empty hookInstance up to 256 characters (Logica), a
 *    fhirAuthorization with only `access_token` and `token_type` in any case, order hooks without draftOrders;
 *  - feedback with Epic's plural `overrideReasons`, and batches of any size the body limit allows.
 */

const resource = {
  type: 'object',
  required: ['resourceType'],
  properties: { resourceType: { type: 'string', minLength: 1 } },
} as const;

/** A Bundle as the sandbox and EHRs send it: `type` optional, entries carry a resource. */
const bundle = {
  type: 'object',
  required: ['resourceType'],
  properties: {
    resourceType: { const: 'Bundle' },
    type: { type: 'string' },
    entry: {
      type: 'array',
      items: {
        type: 'object',
        properties: { resource },
      },
    },
  },
} as const;

const reference = { type: 'string', minLength: 1, maxLength: 512 } as const;

/** A FHIR id as EHRs send it: FHIR's characters, up to 256 (src/cds/ids.ts). */
const id = { type: 'string', pattern: `^${ID_CHARS}$` } as const;

/**
 * fhirAuthorization, as lenient as real clients need: only `access_token` is needed to call the FHIR server.
 * 2.0.1 lists token_type (fixed value Bearer), expires_in, scope and subject as REQUIRED, but EHRs and test
 * clients omit expires_in or subject and write `bearer`; none of them changes how the token is used.
 */
const fhirAuthorization = {
  type: 'object',
  required: ['access_token'],
  properties: {
    // access_token | REQUIRED | string | This is the OAuth 2.0 access token that provides access to the FHIR server.
    access_token: { type: 'string', minLength: 1 },
    // token_type | REQUIRED | string | Fixed value: Bearer (compared without case, as OAuth 2.0 token types are).
    token_type: { type: 'string', pattern: '^[Bb][Ee][Aa][Rr][Ee][Rr]$' },
    // expires_in | REQUIRED | integer | The lifetime in seconds of the access token.
    expires_in: { type: 'number', minimum: 0 },
    // scope | REQUIRED | string | The scopes the access token grants the CDS Service.
    scope: { type: 'string' },
    // subject | REQUIRED | string | The OAuth 2.0 client identifier of the CDS Service.
    subject: { type: 'string' },
    // patient | CONDITIONAL | string | The patient in context, when the scopes are patient scopes.
    patient: { type: 'string' },
  },
} as const;

/** The request table rows that every hook shares. */
const requestProperties = {
  // hookInstance | REQUIRED | string | A universally unique identifier (UUID) for this particular hook call.
  // Any non-empty string up to 256 characters: Logica sends a 64-character id that is not a UUID. It is only
  // echoed in the log, so nothing depends on its form.
  hookInstance: { type: 'string', minLength: 1, maxLength: 256 },
  // fhirServer | CONDITIONAL | URL | The base URL of the CDS Client's FHIR server. If fhirAuthorization is
  // provided, this field is REQUIRED. The scheme MUST be https when production data is exchanged.
  fhirServer: { type: 'string', format: 'uri', pattern: '^https?://' },
  // fhirAuthorization | OPTIONAL | object | A structure holding an OAuth 2.0 bearer access token ...
  fhirAuthorization,
  // prefetch | OPTIONAL | object | The FHIR data that was prefetched by the CDS Client.
  // Each value is a resource (often a searchset Bundle) or null. Any other value is not refused here: the
  // service treats it as missing data (src/fhir/prefetch.ts), so to the code its values are `unknown` too.
  prefetch: { type: 'object' },
} as const;

const patientViewContext = {
  // userId | REQUIRED | string | The id of the current user (Practitioner, PractitionerRole, Patient or RelatedPerson).
  userId: { ...reference, pattern: '^(Practitioner|PractitionerRole|Patient|RelatedPerson)/[^/]+$' },
  // patientId | REQUIRED | string | The FHIR Patient.id of the current patient in context.
  patientId: id,
  // encounterId | OPTIONAL | string | The FHIR Encounter.id of the current encounter in context.
  encounterId: id,
} as const;

/**
 * The context tables of the three hooks. `draftOrders` is REQUIRED by both order hooks, but an EHR client that
 * is not given draft orders (a mis-scoped Epic client) still calls: it is accepted here, and the service then
 * answers no cards (src/cds/hook-service.ts) instead of a 400 that the EHR would show as an error.
 */
export const contextSchemas = {
  'patient-view': {
    type: 'object',
    required: ['userId', 'patientId'],
    properties: patientViewContext,
  },
  'order-select': {
    type: 'object',
    required: ['userId', 'patientId', 'selections'],
    properties: {
      ...patientViewContext,
      // selections | REQUIRED | array | The FHIR id of the newly selected order(s), e.g. MedicationRequest/103.
      selections: { type: 'array', items: { ...reference, pattern: '^[A-Za-z]+/[^/]+$' } },
      // draftOrders | REQUIRED | object | A Bundle of FHIR request resources with a draft status.
      draftOrders: bundle,
    },
  },
  'order-sign': {
    type: 'object',
    required: ['userId', 'patientId'],
    properties: {
      ...patientViewContext,
      // draftOrders | REQUIRED | object | A Bundle of FHIR request resources with a draft status.
      draftOrders: bundle,
    },
  },
} as const;

/** The request of one hook: the shared rows, `hook` fixed to that hook, and that hook's context table. */
function hookRequestSchema<H extends keyof typeof contextSchemas>(hook: H) {
  return {
    $id: `cds-request-${hook}`,
    type: 'object',
    required: ['hook', 'hookInstance', 'context'],
    properties: {
      // hook | REQUIRED | string | The hook that triggered this CDS Service call.
      hook: { const: hook },
      ...requestProperties,
      // context | REQUIRED | object | Hook-specific contextual data that the CDS service will need.
      context: contextSchemas[hook],
    },
    dependencies: { fhirAuthorization: ['fhirServer'] },
  } as const;
}

/**
 * One schema per hook. The request types (src/cds/types.ts) are derived from these with json-schema-to-ts, so
 * what ajv checks and what the code may assume cannot drift apart: `CdsRequest` is their union on `hook`.
 */
export const requestSchemas = {
  'patient-view': hookRequestSchema('patient-view'),
  'order-select': hookRequestSchema('order-select'),
  'order-sign': hookRequestSchema('order-sign'),
} as const;

const coding = {
  type: 'object',
  properties: {
    system: { type: 'string' },
    code: { type: 'string' },
    display: { type: 'string' },
  },
} as const;

const codingWithCode = { ...coding, required: ['code'] } as const;

/** OverrideReason in feedback (2.0.1 "Overridden guidance"): the reason chosen and the user's comment. */
const overrideReason = {
  type: 'object',
  properties: { reason: coding, userComment: { type: 'string', maxLength: 4000 } },
} as const;

export const feedbackSchema = {
  $id: 'cds-feedback',
  type: 'object',
  required: ['feedback'],
  properties: {
    feedback: {
      // No maxItems: an EHR may send a whole day's feedback at once; the body limit (BODY_LIMIT) bounds it.
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        // card | REQUIRED | string | The card.uuid from the CDS Hooks response.
        // outcome | REQUIRED | string | A value of accepted or overridden.
        // outcomeTimestamp | REQUIRED | string | ISO8601 representation of the date and time when the action was taken.
        required: ['card', 'outcome', 'outcomeTimestamp'],
        properties: {
          card: { type: 'string', minLength: 1, maxLength: 128 },
          outcome: { enum: ['accepted', 'overridden'] },
          // acceptedSuggestions | CONDITIONAL | array | REQUIRED for accepted outcomes.
          acceptedSuggestions: {
            type: 'array',
            items: { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1 } } },
          },
          // overrideReason | OPTIONAL | OverrideReason | The reason for overriding and/or a user comment.
          overrideReason,
          // Not in 2.0.1: Epic sends the reason as `overrideReasons`, a list (of OverrideReasons, or of bare
          // Codings). validate.ts turns its first element into `overrideReason`, so the reason is stored.
          overrideReasons: { type: 'array', items: { anyOf: [overrideReason, codingWithCode] } },
          outcomeTimestamp: { type: 'string', format: 'date-time' },
        },
        if: { properties: { outcome: { const: 'accepted' } } },
        then: { required: ['acceptedSuggestions'] },
      },
    },
  },
} as const;

const action = {
  type: 'object',
  required: ['type', 'description'],
  properties: {
    type: { enum: ['create', 'update', 'delete'] },
    description: { type: 'string', minLength: 1 },
    resource,
    // resourceId | CONDITIONAL | string | A relative reference to the relevant resource. SHOULD be provided when type is delete.
    resourceId: { type: 'string', pattern: `^[A-Za-z]+/${ID_CHARS}$` },
  },
  allOf: [
    { if: { properties: { type: { const: 'delete' } } }, then: { required: ['resourceId'], not: { required: ['resource'] } } },
    { if: { properties: { type: { enum: ['create', 'update'] } } }, then: { required: ['resource'] } },
  ],
} as const;

/** The response of a CDS Service (2.0.1 "CDS Service Response", "Card Attributes", "Suggestion", "Action"). */
export const responseSchema = {
  $id: 'cds-response',
  type: 'object',
  required: ['cards'],
  additionalProperties: false,
  properties: {
    cards: {
      type: 'array',
      items: {
        type: 'object',
        required: ['uuid', 'summary', 'indicator', 'source'],
        additionalProperties: false,
        properties: {
          uuid: { type: 'string', format: 'uuid' },
          // summary | REQUIRED | string | ... SHALL be less than 140 characters.
          summary: { type: 'string', minLength: 1, maxLength: 139 },
          detail: { type: 'string' },
          indicator: { enum: ['info', 'warning', 'critical'] },
          source: {
            type: 'object',
            required: ['label', 'topic'],
            additionalProperties: false,
            properties: {
              label: { type: 'string', minLength: 1 },
              url: { type: 'string', format: 'uri' },
              icon: { type: 'string', format: 'uri' },
              topic: { ...codingWithCode, required: ['system', 'code', 'display'] },
            },
          },
          suggestions: {
            type: 'array',
            minItems: 1,
            items: {
              type: 'object',
              required: ['label', 'uuid', 'actions'],
              additionalProperties: false,
              properties: {
                label: { type: 'string', minLength: 1 },
                uuid: { type: 'string', format: 'uuid' },
                isRecommended: { type: 'boolean' },
                actions: { type: 'array', minItems: 1, items: action },
              },
            },
          },
          selectionBehavior: { enum: ['at-most-one', 'any'] },
          overrideReasons: { type: 'array', minItems: 1, items: { ...codingWithCode, required: ['system', 'code', 'display'] } },
          links: {
            type: 'array',
            items: {
              type: 'object',
              required: ['label', 'url', 'type'],
              properties: {
                label: { type: 'string' },
                url: { type: 'string', format: 'uri' },
                type: { enum: ['absolute', 'smart'] },
                appContext: { type: 'string' },
              },
            },
          },
        },
        // selectionBehavior | CONDITIONAL | string | ... SHALL be included if suggestions are present.
        dependencies: { suggestions: ['selectionBehavior'] },
      },
    },
    systemActions: { type: 'array', items: action },
  },
} as const;

export const discoverySchema = {
  $id: 'cds-discovery',
  type: 'object',
  required: ['services'],
  properties: {
    services: {
      type: 'array',
      items: {
        type: 'object',
        required: ['hook', 'description', 'id'],
        properties: {
          hook: { type: 'string' },
          title: { type: 'string' },
          description: { type: 'string' },
          id: { type: 'string', pattern: '^[A-Za-z0-9\\-]+$' },
          prefetch: { type: 'object', additionalProperties: { type: 'string' } },
          usageRequirements: { type: 'string' },
        },
      },
    },
  },
} as const;
