import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../log.js';
import { HttpError, operationOutcome } from './operation-outcome.js';

interface BodyParserError {
  type?: string;
  status?: number;
  expose?: boolean;
}

/** Errors of express.json (body-parser), with the answer each deserves. */
function fromBodyParser(err: BodyParserError, limit: number): HttpError | undefined {
  switch (err.type) {
    case 'entity.too.large':
      return new HttpError(413, { code: 'too-long', diagnostics: `request body is larger than the limit of ${limit} bytes` });
    case 'entity.parse.failed':
      return new HttpError(400, { code: 'structure', diagnostics: 'request body is not valid JSON' });
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new HttpError(415, { code: 'not-supported', diagnostics: 'request body must be UTF-8 JSON' });
    case 'request.aborted':
    case 'request.size.invalid':
      return new HttpError(400, { code: 'incomplete', diagnostics: 'request body was cut short' });
    default:
      return undefined;
  }
}

export function sendError(res: Response, error: HttpError): void {
  if (res.headersSent) return;
  for (const [k, v] of Object.entries(error.headers)) res.setHeader(k, v);
  res.status(error.status).type('application/fhir+json').json(operationOutcome(error.issues));
}

/**
 * The last middleware: every error becomes an OperationOutcome with the right status. Unexpected errors answer
 * 500 without detail; their stack goes to the log only.
 */
export function errorHandler(bodyLimit: number, logFor: (req: Request) => Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    let error: HttpError;
    if (err instanceof HttpError) error = err;
    else {
      const parsed = typeof err === 'object' && err !== null ? fromBodyParser(err as BodyParserError, bodyLimit) : undefined;
      if (parsed !== undefined) error = parsed;
      else {
        logFor(req).error({ err }, 'unexpected error');
        error = new HttpError(500, {
          code: 'exception',
          diagnostics: 'internal error; the request id in X-Request-Id finds it in the service log',
        });
      }
    }
    sendError(res, error);
  };
}
