import type { NextFunction, Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../log.js';

const SAFE_ID = /^[A-Za-z0-9._-]{1,64}$/;

declare module 'express-serve-static-core' {
  interface Request {
    /** Request id: the caller's X-Request-Id when sane, else a new UUID. */
    id: string;
    /** A logger bound to the request id (made on first use: most requests log only their access line). */
    readonly log: Logger;
    /** The service's logger, from which `log` is made (set by startRequest). */
    baseLog?: Logger;
    /** `log` once made. */
    requestLog?: Logger;
    startedAt: number;
    /** Fields the handlers add to the request's one access line (hookInstance, topics, ...). */
    logFields: Record<string, unknown>;
  }
}

/** Request prototypes that have the `log` getter (Express's request object; one per app). */
const withLogGetter = new WeakSet<object>();

/**
 * `req.log` as a getter on the request's prototype, defined once: a property defined on each request would make
 * every request object slow to read (V8 turns an object with a per-instance accessor into a dictionary).
 */
function defineLogGetter(req: Request): void {
  const proto: unknown = Object.getPrototypeOf(req);
  // A request that is not an Express request (a plain object) gets the getter itself, never Object.prototype.
  const target = typeof proto === 'object' && proto !== null && proto !== Object.prototype ? proto : req;
  if (withLogGetter.has(target)) return;
  withLogGetter.add(target);
  Object.defineProperty(target, 'log', { configurable: true, get: requestLogGetter });
}

function requestLogGetter(this: Request): Logger {
  const base = this.baseLog;
  if (base === undefined) throw new Error('req.log read before startRequest');
  return (this.requestLog ??= base.child({ reqId: this.id }));
}

/** The request's logger once startRequest ran, else `fallback` (an error raised before it). */
export function logOf(req: Request, fallback: Logger): Logger {
  return req.baseLog !== undefined ? req.log : fallback;
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
  req.baseLog = log;
  defineLogGetter(req);
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
