import type { NextFunction, Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../log.js';

const SAFE_ID = /^[A-Za-z0-9._-]{1,64}$/;

declare module 'express-serve-static-core' {
  interface Request {
    /** Request id: the caller's X-Request-Id when sane, else a new UUID. */
    id: string;
    /** A logger bound to the request id (made on first use: most requests log only their access line). */
    log: Logger;
    startedAt: number;
    /** Fields the handlers add to the request's one access line (hookInstance, topics, ...). */
    logFields: Record<string, unknown>;
    /** Aborted when the request times out or the client goes away (src/http/timeout.ts). */
    abortSignal?: AbortSignal;
  }
}

/**
 * Gives a request its id (echoed in X-Request-Id) and writes one access line when the answer is sent: request
 * id, method, path without query, status, time, and what the handlers added (for a hook call: hookInstance,
 * service, data sources, topics). Never headers or bodies. One line per request keeps logging off the
 * request's critical path (pino writes asynchronously). Used by the middleware below and by the hook handler
 * (src/http/hook-handler.ts).
 */
export function startRequest(req: Request, res: Response, log: Logger): void {
  const given = req.headers['x-request-id'];
  const id = typeof given === 'string' && SAFE_ID.test(given) ? given : randomUUID();
  req.id = id;
  req.startedAt = performance.now();
  req.logFields = {};
  let child: Logger | undefined;
  Object.defineProperty(req, 'log', { get: () => (child ??= log.child({ reqId: id })), configurable: true });
  res.setHeader('X-Request-Id', id);
  res.on('finish', () => {
    const ms = Math.round((performance.now() - req.startedAt) * 10) / 10;
    const path = req.path.length > 200 ? `${req.path.slice(0, 200)}...` : req.path;
    const line = { reqId: id, method: req.method, path, status: res.statusCode, ms, ...req.logFields };
    if (res.statusCode >= 500) log.error(line, 'request');
    else log.info(line, 'request');
  });
}

/** The middleware form of startRequest, first in the chain of every route but the hook calls. */
export function requestContext(log: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    startRequest(req, res, log);
    next();
  };
}
