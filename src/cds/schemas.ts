/**
 * JSON Schemas written from the CDS Hooks 2.0.1 tables (https://cds-hooks.hl7.org/2.0/), compiled once by ajv
 * at start-up (see validate.ts). Each property carries the table row it comes from. Unknown properties are
 * allowed everywhere: the specification lets clients add `extension` and future fields.
 *
 * Two deliberate tolerances, both for real clients (the CDS Hooks sandbox among them):
 *  - a Bundle without `type` is accepted;
 *  - FHIR resources inside the request are checked only for `resourceType`; the record indexer copes with the
 *    rest (single objects where R4 has arrays, missing fields).
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

export const requestSchema = {
  $id: 'cds-request',
  type: 'object',
  required: ['hook', 'hookInstance', 'context'],
  properties: {
    // hook | REQUIRED | string | The hook that triggered this CDS Service call.
    hook: { type: 'string', minLength: 1 },
    // hookInstance | REQUIRED | string | A universally unique identifier (UUID) for this particular hook call.
    hookInstance: { type: 'string', format: 'uuid' },
    // fhirServer | CONDITIONAL | URL | The base URL of the CDS Client's FHIR server. If fhirAuthorization is
    // provided, this field is REQUIRED. The scheme MUST be https when production data is exchanged.
    fhirServer: { type: 'string', format: 'uri', pattern: '^https?://' },
    // fhirAuthorization | OPTIONAL | object | A structure holding an OAuth 2.0 bearer access token ...
    fhirAuthorization: {
      type: 'object',
      required: ['access_token', 'token_type', 'expires_in', 'scope', 'subject'],
      properties: {
        access_token: { type: 'string', minLength: 1 },
        // token_type | REQUIRED | string | Fixed value: Bearer
        token_type: { const: 'Bearer' },
        expires_in: { type: 'integer', minimum: 0 },
        scope: { type: 'string' },
        subject: { type: 'string' },
        patient: { type: 'string' },
      },
    },
    // context | REQUIRED | object | Hook-specific contextual data that the CDS service will need.
    context: { type: 'object' },
    // prefetch | OPTIONAL | object | The FHIR data that was prefetched by the CDS Client.
    // Each value is a resource (often a searchset Bundle) or null. Any other value is not refused here: the
    // service treats it as missing data (src/fhir/prefetch.ts), fetching it or answering 412.
    prefetch: { type: 'object' },
  },
  dependencies: { fhirAuthorization: ['fhirServer'] },
} as const;

const patientViewContext = {
  // userId | REQUIRED | string | The id of the current user (Practitioner, PractitionerRole, Patient or RelatedPerson).
  userId: { ...reference, pattern: '^(Practitioner|PractitionerRole|Patient|RelatedPerson)/[^/]+$' },
  // patientId | REQUIRED | string | The FHIR Patient.id of the current patient in context.
  patientId: { type: 'string', pattern: '^[A-Za-z0-9\\-.]{1,64}$' },
  // encounterId | OPTIONAL | string | The FHIR Encounter.id of the current encounter in context.
  encounterId: { type: 'string', pattern: '^[A-Za-z0-9\\-.]{1,64}$' },
} as const;

export const contextSchemas = {
  'patient-view': {
    $id: 'context-patient-view',
    type: 'object',
    required: ['userId', 'patientId'],
    properties: patientViewContext,
  },
  'order-select': {
    $id: 'context-order-select',
    type: 'object',
    required: ['userId', 'patientId', 'selections', 'draftOrders'],
    properties: {
      ...patientViewContext,
      // selections | REQUIRED | array | The FHIR id of the newly selected order(s), e.g. MedicationRequest/103.
      selections: { type: 'array', items: { ...reference, pattern: '^[A-Za-z]+/[^/]+$' } },
      // draftOrders | REQUIRED | object | A Bundle of FHIR request resources with a draft status.
      draftOrders: bundle,
    },
  },
  'order-sign': {
    $id: 'context-order-sign',
    type: 'object',
    required: ['userId', 'patientId', 'draftOrders'],
    properties: {
      ...patientViewContext,
      // draftOrders | REQUIRED | object | A Bundle of FHIR request resources with a draft status.
      draftOrders: bundle,
    },
  },
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

export const feedbackSchema = {
  $id: 'cds-feedback',
  type: 'object',
  required: ['feedback'],
  properties: {
    feedback: {
      type: 'array',
      minItems: 1,
      maxItems: 100,
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
          overrideReason: {
            type: 'object',
            properties: { reason: coding, userComment: { type: 'string', maxLength: 4000 } },
          },
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
    resourceId: { type: 'string', pattern: '^[A-Za-z]+/[A-Za-z0-9\\-.]{1,64}$' },
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
