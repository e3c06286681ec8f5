import type { NextFunction, Request, Response } from 'express';
import { sendError } from './errors.js';
import { HttpError } from './operation-outcome.js';

/**
 * A request's abort: when it times out or the client goes away. Its AbortSignal is made only when something asks
 * for it (a FHIR query); most calls fetch nothing, and making a signal for each was a visible part of their CPU.
 */
export class RequestAbort {
  private controller: AbortController | undefined;
  private done = false;

  get aborted(): boolean {
    return this.done;
  }

  /** The signal, aborted already if the request was. */
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.done) this.controller.abort();
    }
    return this.controller.signal;
  }

  abort(): void {
    if (this.done) return;
    this.done = true;
    this.controller?.abort();
  }
}

declare module 'express-serve-static-core' {
  interface Request {
    /** Aborted when the request times out or the client goes away (armTimeout). */
    abort?: RequestAbort;
  }
}

/**
 * The request time-out: answer 503, and abort the request (`req.abort`) so that its FHIR queries stop. The request
 * is also aborted when the client goes away before the answer.
 */
export function armTimeout(req: Request, res: Response, timeoutMs: number): void {
  const abort = new RequestAbort();
  req.abort = abort;
  const timer = setTimeout(() => {
    req.log.warn({ timeoutMs }, 'request timed out');
    abort.abort();
    sendError(res, new HttpError(503, { code: 'timeout', diagnostics: `the service could not answer within ${timeoutMs} ms` }));
  }, timeoutMs);
  res.on('close', () => {
    clearTimeout(timer);
    if (!res.writableFinished) abort.abort();
  });
}

/** The middleware form of armTimeout. */
export function requestTimeout(timeoutMs: number) {
  return (req: Request, res: Response, next: NextFunction): void => {
    armTimeout(req, res, timeoutMs);
    next();
  };
}
