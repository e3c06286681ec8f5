import type { NextFunction, Request, Response } from 'express';
import { isIP } from 'node:net';
import { ipv6Groups } from '../security/fhir-server-policy.js';
import { sendError } from './errors.js';
import { HttpError } from './operation-outcome.js';

/** A value, or a promise of it (a limiter may keep its counters in a store). */
export type Awaitable<T> = T | Promise<T>;

/** What the service needs of a rate limiter: the seconds to wait before `key` may ask again, 0 to go ahead. */
export interface RateLimit {
  take(key: string): Awaitable<number>;
}

/** The 429 of a rate limit, with the Retry-After it asks for. */
export function throttled(who: 'address' | 'client', wait: number): HttpError {
  return new HttpError(
    429,
    {
      code: 'throttled',
      diagnostics: `too many requests ${who === 'address' ? 'from this address' : 'for this client'}; retry later`,
    },
    { 'Retry-After': String(wait) },
  );
}

/**
 * The per-address limit (RATE_LIMIT_PER_ADDRESS) of one request: undefined when it may go ahead, else the 429 to
 * answer (logged). Used by the middleware below and by the hook handler (src/http/hook-handler.ts).
 */
export function limitAddress(limit: RateLimit): (req: Request) => Awaitable<HttpError | undefined> {
  const refused = (req: Request, wait: number): HttpError | undefined => {
    if (wait <= 0) return undefined;
    req.log.warn({ limit: 'address' }, 'rate limited');
    return throttled('address', wait);
  };
  return (req) => {
    const wait = limit.take(addressKey(req.ip ?? 'unknown'));
    return typeof wait === 'number' ? refused(req, wait) : wait.then((w) => refused(req, w));
  };
}

/** The middleware form of limitAddress (given its check). */
export function addressRateLimit(check: (req: Request) => Awaitable<HttpError | undefined>) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const answer = (error: HttpError | undefined): void => {
      if (error !== undefined) sendError(res, error);
      else next();
    };
    const refused = check(req);
    if (refused instanceof Promise) refused.then(answer, next);
    else answer(refused);
  };
}

/**
 * The rate-limit key of a client address: an IPv4 address as is (also when written IPv4-mapped,
 * `::ffff:1.2.3.4`); an IPv6 address by its /64 prefix, since one client usually holds a whole /64 and could
 * otherwise rotate through addresses to dodge a per-address limit.
 */
export function addressKey(ip: string): string {
  const bare = ip.replace(/^\[|\]$/g, '');
  if (isIP(bare) !== 6) return bare;
  const g = ipv6Groups(bare.toLowerCase());
  if (g === undefined) return bare;
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff)
    return [(g[6] ?? 0) >> 8, (g[6] ?? 0) & 0xff, (g[7] ?? 0) >> 8, (g[7] ?? 0) & 0xff].join('.');
  return `${g
    .slice(0, 4)
    .map((x) => x.toString(16))
    .join(':')}::/64`;
}

/**
 * At most `perMinute` requests per key (client address, or authenticated issuer) in any window of one minute
 * that starts with the key's first request. Each key has its own window, so a burst cannot straddle a shared
 * minute boundary and get twice the allowance, and the answer does not depend on the wall clock's minute.
 * Memory stays bounded: keys whose window has ended are swept out.
 */
export class RateLimiter implements RateLimit {
  private readonly windows = new Map<string, { start: number; count: number }>();
  private lastSweep = 0;

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
    private readonly windowMs = 60_000,
  ) {}

  /** Seconds to wait (for Retry-After, at least 1), or 0 when the request may go ahead. */
  take(key: string): number {
    if (this.perMinute <= 0) return 0;
    const t = this.now();
    if (t - this.lastSweep >= this.windowMs) this.sweep(t);
    let w = this.windows.get(key);
    if (w === undefined || t - w.start >= this.windowMs) {
      w = { start: t, count: 0 };
      this.windows.set(key, w);
    }
    w.count++;
    return w.count > this.perMinute ? Math.max(1, Math.ceil((w.start + this.windowMs - t) / 1000)) : 0;
  }

  /** Keys currently tracked (for tests and metrics). */
  get size(): number {
    return this.windows.size;
  }

  private sweep(t: number): void {
    this.lastSweep = t;
    for (const [key, w] of this.windows) if (t - w.start >= this.windowMs) this.windows.delete(key);
  }
}
