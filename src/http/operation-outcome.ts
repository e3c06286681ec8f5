import type { OperationOutcome, OperationOutcomeIssue } from 'fhir/r4.js';

/** FHIR issue types used by this service (http://hl7.org/fhir/valueset-issue-type.html). */
export type IssueCode = OperationOutcomeIssue['code'];

export interface Issue {
  code: IssueCode;
  diagnostics: string;
  /** Where the problem is, as a FHIRPath-like location in the request body (e.g. `context.patientId`). */
  expression?: string;
  severity?: OperationOutcomeIssue['severity'];
}

export function operationOutcome(issues: readonly Issue[]): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: issues.map((i) => ({
      severity: i.severity ?? 'error',
      code: i.code,
      diagnostics: i.diagnostics,
      ...(i.expression !== undefined ? { expression: [i.expression] } : {}),
    })),
  };
}

/**
 * An error with an HTTP status and the issues that explain it. Everything that answers non-2xx throws or
 * passes one of these; the error middleware turns it into an OperationOutcome.
 */
function isIssueList(issues: readonly Issue[] | Issue): issues is readonly Issue[] {
  return Array.isArray(issues);
}

export class HttpError extends Error {
  readonly status: number;
  readonly issues: readonly Issue[];
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, issues: readonly Issue[] | Issue, headers: Record<string, string> = {}) {
    const list = isIssueList(issues) ? issues : [issues];
    super(list.map((i) => i.diagnostics).join('; '));
    this.name = 'HttpError';
    this.status = status;
    this.issues = list;
    this.headers = headers;
  }
}

export const badRequest = (issues: readonly Issue[] | Issue): HttpError => new HttpError(400, issues);
export const notFound = (diagnostics: string): HttpError => new HttpError(404, { code: 'not-found', diagnostics });
