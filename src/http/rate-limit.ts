import type { NextFunction, Request, Response } from 'express';
import type { ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import { ipv6Groups } from '../security/fhir-server-policy.js';
import { metrics } from '../metrics.js';
import { sendError } from './errors.js';
import { HttpError } from './operation-outcome.js';

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

export interface RateDecision {
  /** Seconds to wait (for Retry-After, at least 1), or 0 when the request may go ahead. */
  wait: number;
  limit: number;
  remaining: number;
  /** Seconds until the key's window ends. */
  reset: number;
}

export interface RateLimiterOptions {
  now?: () => number;
  windowMs?: number;
  /**
   * Count in the shared database too, so that the limit holds over every worker and instance. The decision
   * never waits on the database: each process decides from the shared count it last read plus its own
   * requests since, and sends its new requests in one statement per round trip (all keys together). Between
   * two round trips every other process may let through what it has not yet seen of this one: the overshoot
   * is bounded by the requests that arrive elsewhere within one database round trip (about 1 ms).
   */
  store?: Store;
  /** Prefix of this limiter's keys in the database (`address`, `issuer`). */
  name?: string;
  log?: Logger;
}

interface Window {
  start: number;
  /** Requests in this window: the shared count last read, plus this process's requests since. */
  count: number;
  /** This process's requests not yet sent to the database. */
  pending: number;
}

/**
 * At most `perMinute` requests per key (client address, or authenticated issuer) in any window of one minute
 * that starts with the key's first request. Each key has its own window, so a burst cannot straddle a shared
 * minute boundary and get twice the allowance, and the answer does not depend on the wall clock's minute.
 * Memory stays bounded: keys whose window has ended are swept out.
 */
export class RateLimiter {
  private readonly windows = new Map<string, Window>();
  private lastSweep = 0;
  private readonly now: () => number;
  private readonly windowMs: number;
  private flushing = false;
  /** When a flush last failed, and when that was last logged. */
  private lastFailure = 0;
  private lastLogged = 0;

  constructor(
    private readonly perMinute: number,
    nowOrOptions: (() => number) | RateLimiterOptions = {},
    windowMs?: number,
  ) {
    const options = typeof nowOrOptions === 'function' ? { now: nowOrOptions } : nowOrOptions;
    this.options = options;
    this.now = options.now ?? Date.now;
    this.windowMs = windowMs ?? options.windowMs ?? 60_000;
  }

  private readonly options: RateLimiterOptions;

  /** False when the limit is off (RATE_LIMIT_* = 0): nothing is counted, no key is needed. */
  get enabled(): boolean {
    return this.perMinute > 0;
  }

  /** Seconds to wait (for Retry-After, at least 1), or 0 when the request may go ahead. */
  take(key: string): number {
    return this.check(key).wait;
  }

  /** Counts one request of `key` and says whether it may go ahead, with what the RateLimit headers report. */
  check(key: string): RateDecision {
    if (this.perMinute <= 0) return { wait: 0, limit: 0, remaining: 0, reset: 0 };
    const t = this.now();
    if (t - this.lastSweep >= this.windowMs) this.sweep(t);
    let w = this.windows.get(key);
    if (w === undefined || t - w.start >= this.windowMs) {
      w = { start: t, count: 0, pending: w?.pending ?? 0 };
      this.windows.set(key, w);
    }
    w.count++;
    if (this.options.store !== undefined) {
      w.pending++;
      this.scheduleFlush();
    }
    const reset = Math.max(1, Math.ceil((w.start + this.windowMs - t) / 1000));
    return {
      wait: w.count > this.perMinute ? reset : 0,
      limit: this.perMinute,
      remaining: Math.max(0, this.perMinute - w.count),
      reset,
    };
  }

  /** Keys currently tracked (for tests and metrics). */
  get size(): number {
    return this.windows.size;
  }

  /** Sends what is pending now (tests; the limiter does it by itself). */
  async flush(): Promise<void> {
    const store = this.options.store;
    if (store === undefined) return;
    const batch: { key: string; n: number; w: Window }[] = [];
    for (const [key, w] of this.windows) if (w.pending > 0) batch.push({ key, n: w.pending, w });
    if (batch.length === 0) return;
    for (const b of batch) b.w.pending -= b.n;
    const prefix = `${this.options.name ?? 'limit'}:`;
    try {
      const counts = await store.countRequests(
        batch.map((b) => ({ key: prefix + b.key, n: b.n })),
        this.now(),
        this.windowMs,
      );
      for (const b of batch) {
        const shared = counts.get(prefix + b.key);
        if (shared === undefined) continue;
        // The shared window and count, plus what this process counted while the statement ran.
        b.w.start = shared.windowStart;
        b.w.count = shared.count + b.w.pending;
      }
    } catch (err) {
      // The database is away: keep counting here (the limit then holds per process) and send it later.
      for (const b of batch) b.w.pending += b.n;
      const t = this.now();
      this.lastFailure = t;
      if (t - this.lastLogged > 60_000) {
        this.lastLogged = t;
        this.options.log?.warn({ err: (err as Error).message }, 'rate-limit counts not shared (database unavailable)');
      }
      throw err;
    }
  }

  private scheduleFlush(): void {
    if (this.flushing) return;
    this.flushing = true;
    setImmediate(() => {
      this.flush()
        .catch(() => undefined)
        .finally(() => {
          this.flushing = false;
          if ([...this.windows.values()].some((w) => w.pending > 0)) {
            // More arrived while the statement ran (or it failed: retry in a second, not in a tight loop).
            if (this.now() - this.lastFailure < 1000)
              setTimeout(() => {
                this.scheduleFlush();
              }, 1000).unref();
            else this.scheduleFlush();
          }
        });
    });
  }

  private sweep(t: number): void {
    this.lastSweep = t;
    for (const [key, w] of this.windows) if (t - w.start >= this.windowMs && w.pending === 0) this.windows.delete(key);
  }
}

/**
 * The RateLimit headers of the IETF httpapi draft as most clients read them (express-rate-limit's "draft-6"):
 * `RateLimit-Policy: 600;w=60`, `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (seconds).
 * With two limits (address, issuer), the one with fewer requests left is reported.
 */
export function setRateLimitHeaders(
  res: Pick<ServerResponse, 'getHeader' | 'setHeader'>,
  d: RateDecision,
  windowSeconds = 60,
): void {
  if (d.limit <= 0) return;
  const current = res.getHeader('RateLimit-Remaining');
  if (current !== undefined && Number(current) < d.remaining) return;
  res.setHeader('RateLimit-Policy', `${d.limit};w=${windowSeconds}`);
  res.setHeader('RateLimit-Limit', String(d.limit));
  res.setHeader('RateLimit-Remaining', String(d.remaining));
  res.setHeader('RateLimit-Reset', String(d.reset));
}

/** A value, or a promise of it. */
export type Awaitable<T> = T | Promise<T>;

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
 * The per-address limit (RATE_LIMIT_PER_ADDRESS) of one request: counts it, sets the RateLimit headers, and gives
 * the 429 to answer (logged), or undefined when it may go ahead. Used by the middleware below and by the hook
 * handler (src/http/hook-handler.ts).
 */
export function limitAddress(
  limiter: Pick<RateLimiter, 'check' | 'enabled'>,
): (req: Request, res: Response) => Awaitable<HttpError | undefined> {
  return (req, res) => {
    if (!limiter.enabled) return undefined; // off: no address to work out (req.ip walks X-Forwarded-For)
    const decision = limiter.check(addressKey(req.ip ?? 'unknown'));
    setRateLimitHeaders(res, decision);
    if (decision.wait <= 0) return undefined;
    req.log.warn({ limit: 'address' }, 'rate limited');
    metrics.refused('rate-limit', 'address');
    return throttled('address', decision.wait);
  };
}

/** The middleware form of limitAddress (given its check). */
export function addressRateLimit(check: (req: Request, res: Response) => Awaitable<HttpError | undefined>) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const answer = (error: HttpError | undefined): void => {
      if (error !== undefined) sendError(res, error);
      else next();
    };
    const refused = check(req, res);
    if (refused instanceof Promise) refused.then(answer, next);
    else answer(refused);
  };
}
