import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { badRequest, type Issue } from '../http/operation-outcome.js';
import { isObject } from '../record/read.js';
import { discoverySchema, feedbackSchema, requestSchemas, responseSchema } from './schemas.js';
import type {
  CdsRequest,
  CdsResponse,
  FeedbackInput,
  FeedbackItem,
  FeedbackRequest,
  HookName,
  OrderSelectRequest,
} from './types.js';

// ajv-formats is CommonJS with a default export; under NodeNext the callable sits on `.default`.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

/** Turns an ajv error into an issue that says what is wrong and where (`context.draftOrders.entry[0]`). */
export function toIssue(error: ErrorObject, prefix: string): Issue {
  const segments = error.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  let path = prefix;
  for (const segment of segments) {
    if (/^\d+$/.test(segment)) path = `${path}[${segment}]`;
    else path = path === '' ? segment : `${path}.${segment}`;
  }
  const params = error.params as Record<string, unknown>;
  const missing = typeof params['missingProperty'] === 'string' ? params['missingProperty'] : undefined;
  if (error.keyword === 'required' && missing !== undefined) {
    const where = path === '' ? missing : `${path}.${missing}`;
    return { code: 'required', expression: where, diagnostics: `${where} is required` };
  }
  if (error.keyword === 'dependencies' && missing !== undefined) {
    const where = path === '' ? missing : `${path}.${missing}`;
    const property = typeof params['property'] === 'string' ? params['property'] : 'another field';
    return { code: 'required', expression: where, diagnostics: `${where} is required when ${property} is present` };
  }
  const where = path === '' ? '(request body)' : path;
  let message = error.message ?? 'is invalid';
  if (error.keyword === 'enum' && Array.isArray(params['allowedValues'])) {
    message = `must be one of: ${(params['allowedValues'] as unknown[]).join(', ')}`;
  } else if (error.keyword === 'const') {
    message = `must be ${JSON.stringify(params['allowedValue'])}`;
  } else if (error.keyword === 'additionalProperties' && typeof params['additionalProperty'] === 'string') {
    message = `must not have property ${params['additionalProperty']}`;
  }
  return {
    code: error.keyword === 'type' || error.keyword === 'format' ? 'value' : 'invalid',
    expression: path === '' ? undefined : where,
    diagnostics: `${where} ${message}`,
  };
}

/** ajv keywords that only repeat what another error already says (if/then, anyOf branches). */
const NOISE = new Set(['if', 'anyOf', 'oneOf']);

function issuesOf(validate: ValidateFunction, prefix: string, replace?: (error: ErrorObject) => Issue | undefined): Issue[] {
  const seen = new Set<string>();
  const out: Issue[] = [];
  for (const error of validate.errors ?? []) {
    if (NOISE.has(error.keyword)) continue;
    const issue = replace?.(error) ?? toIssue(error, prefix);
    const key = `${issue.expression ?? ''}|${issue.diagnostics}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(issue);
    }
  }
  return out;
}

/**
 * The compiled validators; built once per process. Each validator is a type guard for the type derived from its
 * schema (src/cds/types.ts), so what passes is typed without a cast.
 */
export class CdsValidator {
  private readonly requests: { [H in HookName]: ValidateFunction<Extract<CdsRequest, { hook: H }>> };
  private readonly feedback: ValidateFunction<FeedbackInput>;
  readonly response: ValidateFunction;
  readonly discovery: ValidateFunction;

  constructor() {
    const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
    addFormats(ajv, ['uuid', 'uri', 'date-time', 'date']);
    this.requests = {
      'patient-view': ajv.compile(requestSchemas['patient-view']),
      'order-select': ajv.compile(requestSchemas['order-select']),
      'order-sign': ajv.compile(requestSchemas['order-sign']),
    };
    this.feedback = ajv.compile(feedbackSchema);
    this.response = ajv.compile(responseSchema);
    this.discovery = ajv.compile(discoverySchema);
  }

  /**
   * Checks a hook request for the service's hook: the request table with that hook's context table, then what
   * schemas cannot say (selections that name no draft order). Throws 400 listing every problem.
   */
  hookRequest(body: unknown, hook: HookName): CdsRequest {
    const validate = this.requests[hook];
    if (validate(body)) {
      const issues = body.hook === 'order-select' ? selectionIssues(body) : [];
      if (issues.length > 0) throw badRequest(issues);
      return body;
    }
    // Two errors said in words instead of ajv's: `hook` is fixed per service, so a request for another hook is
    // named as such; token_type is "Bearer" in any case, not a regular expression.
    const sent = isObject(body) ? body['hook'] : undefined;
    throw badRequest(
      issuesOf(validate, '', (error) => {
        if (error.instancePath === '/hook' && error.keyword === 'const' && typeof sent === 'string')
          return {
            code: 'invalid',
            expression: 'hook',
            diagnostics: `hook "${truncate(sent)}" does not match this service, which answers "${hook}"`,
          };
        if (error.instancePath === '/fhirAuthorization/token_type' && error.keyword === 'pattern')
          return {
            code: 'invalid',
            expression: 'fhirAuthorization.token_type',
            diagnostics: 'fhirAuthorization.token_type must be "Bearer" (in any case)',
          };
        return undefined;
      }),
    );
  }

  /** Checks feedback, and normalises Epic's plural `overrideReasons` into the specification's `overrideReason`. */
  feedbackRequest(body: unknown): FeedbackRequest {
    if (!this.feedback(body)) throw badRequest(issuesOf(this.feedback, ''));
    return { feedback: body.feedback.map(normaliseFeedback) };
  }

  /** Problems with a response this service is about to send (used by tests and, cheaply, in development). */
  responseIssues(body: CdsResponse): Issue[] {
    return this.response(body) ? [] : issuesOf(this.response, '');
  }
}

type Reason = NonNullable<FeedbackItem['overrideReason']>;

/**
 * Epic sends `overrideReasons: [...]` instead of `overrideReason`. Its first element becomes the reason (an
 * OverrideReason, or a bare Coding taken as its `reason`); the specification's singular field wins when both
 * are sent. The plural field is dropped, so the store sees one shape.
 */
export function normaliseFeedback(item: FeedbackInput['feedback'][number]): FeedbackItem {
  const { overrideReasons, ...rest } = item;
  const first = overrideReasons?.[0];
  if (rest.overrideReason !== undefined || first === undefined) return rest;
  const reason: Reason = 'code' in first && typeof first.code === 'string' ? { reason: first } : first;
  return { ...rest, overrideReason: reason };
}

function truncate(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}...` : s;
}

/** order-select: every selection must name an order in draftOrders (2.0.1: "references FHIR resources in the draftOrders Bundle"). */
function selectionIssues(request: OrderSelectRequest): Issue[] {
  const drafts = request.context.draftOrders;
  if (drafts === undefined) return []; // no draft orders at all: the service answers no cards (hook-service.ts)
  const drafted = new Set<string>();
  for (const entry of drafts.entry ?? []) {
    const r = entry.resource;
    if (r !== undefined && typeof r['id'] === 'string') drafted.add(`${r.resourceType}/${r['id']}`);
  }
  return request.context.selections.flatMap((selection, i) =>
    drafted.has(selection)
      ? []
      : [
          {
            code: 'not-found' as const,
            expression: `context.selections[${i}]`,
            diagnostics: `context.selections[${i}] names ${truncate(selection)}, which is not in context.draftOrders`,
          },
        ],
  );
}
