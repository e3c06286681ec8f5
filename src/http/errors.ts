import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../log.js';
import { HttpError, operationOutcome } from './operation-outcome.js';

export function sendError(res: Response, error: HttpError): void {
  if (res.headersSent) return;
  for (const [k, v] of Object.entries(error.headers)) res.setHeader(k, v);
  res.status(error.status).type('application/fhir+json').json(operationOutcome(error.issues));
}

/**
 * Any error as an answer: an HttpError with its status and OperationOutcome; anything else answers 500 without
 * detail, its stack in the log only.
 */
export function answerError(err: unknown, res: Response, log: () => Logger): void {
  if (err instanceof HttpError) {
    sendError(res, err);
    return;
  }
  // A path that is not valid percent-encoding (GET /cds-services/%E0%A4%A): the router cannot decode its
  // parameter and marks its URIError with status 400. The client's mistake, so 400 and one log line, never a
  // 500 with a stack. Any other URIError is a fault of the service and stays a 500.
  if (err instanceof URIError && 'status' in err && err.status === 400) {
    log().info({ malformed: 'path' }, 'request path is not valid percent-encoding');
    sendError(res, new HttpError(400, { code: 'invalid', diagnostics: 'the request path is not valid percent-encoding' }));
    return;
  }
  log().error({ err }, 'unexpected error');
  sendError(
    res,
    new HttpError(500, {
      code: 'exception',
      diagnostics: 'internal error; the request id in X-Request-Id finds it in the service log',
    }),
  );
}

/** The last middleware: every error becomes an OperationOutcome with the right status (answerError). */
export function errorHandler(logFor: (req: Request) => Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    answerError(err, res, () => logFor(req));
  };
}
