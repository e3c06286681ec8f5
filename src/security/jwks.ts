import { createLocalJWKSet, type JSONWebKeySet, type JWTHeaderParameters, type FlattenedJWSInput, type CryptoKey } from 'jose';

/**
 * JWK Sets of trusted issuers, fetched from configured URLs only, cached, refreshed when a JWT names an unknown
 * `kid`, with refreshes of one URL at most once per `minRefreshMs` (a flood of made-up kids cannot turn the
 * service into a request amplifier), and stale sets replaced after `maxAgeMs`.
 */

export type JwksFetch = (url: string, signal: AbortSignal) => Promise<unknown>;

const MAX_JWKS_BYTES = 64 * 1024;

/** Default transport: GET with a time-out, no redirects, and a size limit. */
export const httpJwksFetch: JwksFetch = async (url, signal) => {
  const res = await fetch(url, { signal, redirect: 'error', headers: { accept: 'application/json, application/jwk-set+json' } });
  if (!res.ok) throw new Error(`JWKS ${url} answered ${res.status}`);
  const text = await res.text();
  if (text.length > MAX_JWKS_BYTES) throw new Error(`JWKS ${url} is larger than ${MAX_JWKS_BYTES} bytes`);
  return JSON.parse(text) as unknown;
};

type KeyGetter = (header: JWTHeaderParameters, input: FlattenedJWSInput) => Promise<CryptoKey>;

interface Entry {
  fetchedAt: number;
  kids: Set<string>;
  getKey: KeyGetter;
}

function isJwks(x: unknown): x is JSONWebKeySet {
  return typeof x === 'object' && x !== null && Array.isArray((x as { keys?: unknown }).keys);
}

export function localKeySet(jwks: JSONWebKeySet): { kids: Set<string>; getKey: KeyGetter } {
  const publicOnly = { keys: jwks.keys.filter((k) => typeof (k as { d?: unknown }).d !== 'string') };
  return {
    kids: new Set(publicOnly.keys.map((k) => k.kid).filter((k): k is string => typeof k === 'string')),
    getKey: createLocalJWKSet(publicOnly) as KeyGetter,
  };
}

export class JwksCache {
  private readonly entries = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<Entry>>();
  private readonly lastAttempt = new Map<string, number>();

  constructor(
    private readonly options: {
      minRefreshMs: number;
      maxAgeMs: number;
      timeoutMs: number;
      fetch?: JwksFetch;
      now?: () => number;
    },
  ) {}

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** The key getter for `url` that knows `kid`, refreshing the set when allowed. Rejects when the kid is unknown. */
  async keyFor(url: string, kid: string): Promise<KeyGetter> {
    let entry = this.entries.get(url);
    const stale = entry !== undefined && this.now() - entry.fetchedAt > this.options.maxAgeMs;
    if (entry === undefined || stale || !entry.kids.has(kid)) {
      const last = this.lastAttempt.get(url) ?? -Infinity;
      if (entry === undefined || this.now() - last >= this.options.minRefreshMs) {
        entry = await this.refresh(url);
      }
    }
    if (entry === undefined || !entry.kids.has(kid)) throw new Error(`unknown kid for ${url}`);
    return entry.getKey;
  }

  private refresh(url: string): Promise<Entry> {
    const running = this.inflight.get(url);
    if (running !== undefined) return running;
    this.lastAttempt.set(url, this.now());
    const fetchJwks = this.options.fetch ?? httpJwksFetch;
    const p = fetchJwks(url, AbortSignal.timeout(this.options.timeoutMs))
      .then((data) => {
        if (!isJwks(data)) throw new Error(`JWKS ${url} is not a JWK Set`);
        const entry: Entry = { fetchedAt: this.now(), ...localKeySet(data) };
        this.entries.set(url, entry);
        return entry;
      })
      .finally(() => this.inflight.delete(url));
    this.inflight.set(url, p);
    return p;
  }
}
