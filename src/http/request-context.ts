import type { NextFunction, Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../log.js';

const SAFE_ID = /^[A-Za-z0-9._-]{1,64}$/;

declare module 'express-serve-static-core' {
  interface Request {
    /** Request id: the caller's X-Request-Id when sane, else a new UUID. */
    id: string;
    log: Logger;
    startedAt: number;
  }
}

/**
 * Gives each request an id (echoed in X-Request-Id) and a child logger, and writes one access line when the
 * answer is sent: method, path without query, status, time. Never headers or bodies.
 */
export function requestContext(log: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const given = req.headers['x-request-id'];
    req.id = typeof given === 'string' && SAFE_ID.test(given) ? given : randomUUID();
    req.startedAt = performance.now();
    req.log = log.child({ reqId: req.id });
    res.setHeader('X-Request-Id', req.id);
    res.on('finish', () => {
      const ms = Math.round((performance.now() - req.startedAt) * 10) / 10;
      const path = req.path.length > 200 ? `${req.path.slice(0, 200)}...` : req.path;
      req.log[res.statusCode >= 500 ? 'error' : 'info']({ method: req.method, path, status: res.statusCode, ms }, 'request');
    });
    next();
  };
}
