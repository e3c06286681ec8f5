import type { NextFunction, Request, Response } from 'express';
import { sendError } from './errors.js';
import { HttpError } from './operation-outcome.js';

/**
 * The request time-out: answer 503, and abort the request's signal (`req.abortSignal`) so that its FHIR queries
 * stop. The signal is also aborted when the client goes away before the answer.
 */
export function armTimeout(req: Request, res: Response, timeoutMs: number): void {
  const controller = new AbortController();
  req.abortSignal = controller.signal;
  const timer = setTimeout(() => {
    req.log.warn({ timeoutMs }, 'request timed out');
    controller.abort();
    sendError(res, new HttpError(503, { code: 'timeout', diagnostics: `the service could not answer within ${timeoutMs} ms` }));
  }, timeoutMs);
  res.on('close', () => {
    clearTimeout(timer);
    if (!res.writableFinished) controller.abort();
  });
}

/** The middleware form of armTimeout. */
export function requestTimeout(timeoutMs: number) {
  return (req: Request, res: Response, next: NextFunction): void => {
    armTimeout(req, res, timeoutMs);
    next();
  };
}
