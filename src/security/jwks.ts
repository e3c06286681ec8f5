import { createLocalJWKSet, type CryptoKey, type FlattenedJWSInput, type JSONWebKeySet, type JWTHeaderParameters } from 'jose';
import type { ReadableStreamDefaultReader } from 'node:stream/web';
import type { Logger } from '../log.js';

/**
 * JWK Sets of trusted issuers, fetched from configured URLs only (an issuer's `jwksUrl`, or a `jku` that is on
 * that issuer's allowlist), cached, and refreshed when a JWT names an unknown `kid` or the set is older than
 * `maxAgeMs`. Fetches of one URL are rate limited: at most one per `minRefreshMs` after a success and one per
 * `failureRetryMs` after a failure, and concurrent requests share one fetch. So a flood of made-up kids, or of
 * tokens while the issuer's JWKS is down, cannot turn the service into a request amplifier.
 */

export type JwksFetch = (url: string, signal: AbortSignal) => Promise<unknown>;

/** Why no key could be had: the set does not have the kid, or the set could not be fetched. */
export class JwksError extends Error {
  constructor(
    readonly reason: 'unknown-kid' | 'jwks-unavailable',
    message: string,
  ) {
    super(message);
    this.name = 'JwksError';
  }
}

export const MAX_JWKS_BYTES = 64 * 1024;

/** Default transport: GET with a time-out, no redirects, and a size limit enforced while reading. */
export const httpJwksFetch: JwksFetch = async (url, signal) => {
  const res = await fetch(url, {
    signal,
    redirect: 'error',
    headers: { accept: 'application/jwk-set+json, application/json' },
  });
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`JWKS ${url} answered ${res.status}`);
  }
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > MAX_JWKS_BYTES) {
    await res.body?.cancel();
    throw new Error(`JWKS ${url} is larger than ${MAX_JWKS_BYTES} bytes`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  // The body of Node's fetch is typed as a stream of any; its chunks are bytes.
  const reader: ReadableStreamDefaultReader<Uint8Array> | undefined = res.body?.getReader();
  for (;;) {
    if (reader === undefined) break;
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_JWKS_BYTES) {
      await reader.cancel();
      throw new Error(`JWKS ${url} is larger than ${MAX_JWKS_BYTES} bytes`);
    }
    chunks.push(value);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
};

type KeyGetter = (header: JWTHeaderParameters, input: FlattenedJWSInput) => Promise<CryptoKey>;

interface Entry {
  fetchedAt: number;
  kids: Set<string>;
  getKey: KeyGetter;
}

function isJwks(x: unknown): x is JSONWebKeySet {
  return (
    typeof x === 'object' &&
    x !== null &&
    Array.isArray((x as { keys?: unknown }).keys) &&
    (x as { keys: unknown[] }).keys.every((k) => typeof k === 'object' && k !== null && !Array.isArray(k))
  );
}

/** Members that only private or symmetric keys have. */
const SECRET_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/**
 * A key getter over the public asymmetric keys of a set (EC and RSA, the families of the allowed algorithms).
 * Symmetric (`oct`) and private keys are dropped, so a set that carries one can never verify an HMAC token or
 * leak a secret into a verification.
 */
export function localKeySet(jwks: JSONWebKeySet): { kids: Set<string>; getKey: KeyGetter } {
  const publicOnly = {
    keys: jwks.keys.filter(
      (k) => (k.kty === 'EC' || k.kty === 'RSA') && !SECRET_MEMBERS.some((m) => (k as Record<string, unknown>)[m] !== undefined),
    ),
  };
  return {
    kids: new Set(publicOnly.keys.map((k) => k.kid).filter((k): k is string => typeof k === 'string')),
    getKey: createLocalJWKSet(publicOnly),
  };
}

export interface JwksCacheOptions {
  /** Least time between two fetches of one URL after a successful fetch. */
  minRefreshMs: number;
  /** Least time between two fetches of one URL after a failed fetch (default: min(minRefreshMs, 5 s)). */
  failureRetryMs?: number;
  /** A set older than this is fetched again before use (bounds how long a removed key stays trusted). */
  maxAgeMs: number;
  timeoutMs: number;
  fetch?: JwksFetch;
  now?: () => number;
  log?: Logger;
}

export class JwksCache {
  private readonly entries = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<Entry>>();
  private readonly lastAttempt = new Map<string, { at: number; ok: boolean }>();
  /** Fetches started, per URL (for logs and tests). */
  readonly fetchCounts = new Map<string, number>();

  constructor(private readonly options: JwksCacheOptions) {}

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private mayFetch(url: string): boolean {
    const last = this.lastAttempt.get(url);
    if (last === undefined) return true;
    const wait = last.ok ? this.options.minRefreshMs : (this.options.failureRetryMs ?? Math.min(this.options.minRefreshMs, 5000));
    return this.now() - last.at >= wait;
  }

  /**
   * The key getter for `url` that knows `kid`, fetching the set when it is missing, stale, or lacks the kid and
   * a fetch is allowed now. Rejects with JwksError ('unknown-kid' or 'jwks-unavailable').
   */
  async keyFor(url: string, kid: string): Promise<KeyGetter> {
    let entry = this.entries.get(url);
    const fresh = entry !== undefined && this.now() - entry.fetchedAt <= this.options.maxAgeMs;
    if (fresh && entry?.kids.has(kid) === true) return entry.getKey;

    const running = this.inflight.get(url);
    if (running !== undefined || this.mayFetch(url)) {
      try {
        entry = await (running ?? this.refresh(url));
      } catch {
        throw new JwksError('jwks-unavailable', `the JWK Set at ${url} could not be fetched`);
      }
    } else if (!fresh) {
      // No usable set and a fetch was tried a moment ago: do not fetch again.
      throw new JwksError('jwks-unavailable', `the JWK Set at ${url} is not available (fetch rate limited)`);
    }
    if (!entry?.kids.has(kid)) throw new JwksError('unknown-kid', `no key ${kid} in ${url}`);
    return entry.getKey;
  }

  private refresh(url: string): Promise<Entry> {
    this.lastAttempt.set(url, { at: this.now(), ok: false });
    this.fetchCounts.set(url, (this.fetchCounts.get(url) ?? 0) + 1);
    const fetchJwks = this.options.fetch ?? httpJwksFetch;
    const p = fetchJwks(url, AbortSignal.timeout(this.options.timeoutMs))
      .then((data) => {
        if (!isJwks(data)) throw new Error(`JWKS ${url} is not a JWK Set`);
        const entry: Entry = { fetchedAt: this.now(), ...localKeySet(data) };
        this.entries.set(url, entry);
        this.lastAttempt.set(url, { at: this.now(), ok: true });
        this.options.log?.info({ jwksUrl: url, keys: entry.kids.size }, 'JWK Set fetched');
        return entry;
      })
      .catch((err: unknown) => {
        this.options.log?.warn(
          { jwksUrl: url, error: err instanceof Error ? err.message.slice(0, 200) : undefined },
          'JWK Set fetch failed',
        );
        throw err;
      })
      .finally(() => this.inflight.delete(url));
    this.inflight.set(url, p);
    return p;
  }
}
