import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { badRequest, type Issue } from '../http/operation-outcome.js';
import { contextSchemas, discoverySchema, feedbackSchema, requestSchema, responseSchema } from './schemas.js';
import type { CdsRequest, CdsResponse, FeedbackRequest, HookName } from './types.js';

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
    path = /^\d+$/.test(segment) ? `${path}[${segment}]` : path === '' ? segment : `${path}.${segment}`;
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
  } as Issue;
}

/** ajv keywords that only repeat what another error already says (if/then, anyOf branches). */
const NOISE = new Set(['if', 'anyOf', 'oneOf']);

function issuesOf(validate: ValidateFunction, prefix: string): Issue[] {
  const seen = new Set<string>();
  const out: Issue[] = [];
  for (const error of validate.errors ?? []) {
    if (NOISE.has(error.keyword)) continue;
    const issue = toIssue(error, prefix);
    const key = `${issue.expression ?? ''}|${issue.diagnostics}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(issue);
    }
  }
  return out;
}

/** The compiled validators; built once per process. */
export class CdsValidator {
  private readonly request: ValidateFunction;
  private readonly contexts: Record<HookName, ValidateFunction>;
  private readonly feedback: ValidateFunction;
  readonly response: ValidateFunction;
  readonly discovery: ValidateFunction;

  constructor() {
    const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
    addFormats(ajv, ['uuid', 'uri', 'date-time', 'date']);
    this.request = ajv.compile(requestSchema);
    this.contexts = {
      'patient-view': ajv.compile(contextSchemas['patient-view']),
      'order-select': ajv.compile(contextSchemas['order-select']),
      'order-sign': ajv.compile(contextSchemas['order-sign']),
    };
    this.feedback = ajv.compile(feedbackSchema);
    this.response = ajv.compile(responseSchema);
    this.discovery = ajv.compile(discoverySchema);
  }

  /**
   * Checks a hook request for the service's hook: the request table, then the hook's context table, then what
   * schemas cannot say (selections that name no draft order). Throws 400 listing every problem.
   */
  hookRequest(body: unknown, hook: HookName): CdsRequest {
    const issues: Issue[] = [];
    if (!this.request(body)) issues.push(...issuesOf(this.request, ''));
    const request = body as Partial<CdsRequest> | null;
    if (request !== null && typeof request === 'object') {
      if (typeof request.hook === 'string' && request.hook !== hook) {
        issues.push({
          code: 'invalid',
          expression: 'hook',
          diagnostics: `hook "${truncate(request.hook)}" does not match this service, which answers "${hook}"`,
        });
      }
      const context = request.context;
      if (context !== null && typeof context === 'object' && !Array.isArray(context)) {
        const validateContext = this.contexts[hook];
        if (!validateContext(context)) issues.push(...issuesOf(validateContext, 'context'));
        else issues.push(...selectionIssues(request as CdsRequest));
      }
    }
    if (issues.length > 0) throw badRequest(issues);
    return body as CdsRequest;
  }

  feedbackRequest(body: unknown): FeedbackRequest {
    if (!this.feedback(body)) throw badRequest(issuesOf(this.feedback, ''));
    return body as FeedbackRequest;
  }

  /** Problems with a response this service is about to send (used by tests and, cheaply, in development). */
  responseIssues(body: CdsResponse): Issue[] {
    return this.response(body) ? [] : issuesOf(this.response, '');
  }
}

function truncate(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}...` : s;
}

/** order-select: every selection must name an order in draftOrders (2.0.1: "references FHIR resources in the draftOrders Bundle"). */
function selectionIssues(request: CdsRequest): Issue[] {
  if (request.hook !== 'order-select') return [];
  const context = request.context as {
    selections?: unknown;
    draftOrders?: { entry?: { resource?: { resourceType?: unknown; id?: unknown } }[] };
  };
  const selections = Array.isArray(context.selections) ? (context.selections as string[]) : [];
  const drafted = new Set<string>();
  for (const entry of context.draftOrders?.entry ?? []) {
    const r = entry.resource;
    if (r && typeof r.resourceType === 'string' && typeof r.id === 'string') drafted.add(`${r.resourceType}/${r.id}`);
  }
  return selections.flatMap((selection, i) =>
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
