import { HttpError } from '../http/operation-outcome.js';
import type { Store } from '../store/store.js';

/**
 * `jti` values seen within their token's lifetime (CDS Hooks best practice: "the jti value doesn't exist in the
 * short-term storage of JWTs previously processed"). Entries leave when their token expires.
 *
 * The service uses the shared one (SharedReplayCache: the database, so a token is refused on every worker and
 * instance once it was used on one); ReplayCache is the in-process one of a single process (tests, tools).
 */
export type ReplayVerdict = 'new' | 'replay' | 'full';

export interface ReplayGuard {
  /** Records the id until `expiresAtMs`: 'new', or 'replay' when it is already there, or 'full'. */
  add(id: string, expiresAtMs: number): Promise<ReplayVerdict>;
}

/**
 * In one process. When full of unexpired ids it refuses new ones (fails closed) rather than forgetting ids that
 * could then be replayed; the size bounds memory (about 100 bytes per id).
 */
export class ReplayCache implements ReplayGuard {
  private readonly seen = new Map<string, number>();
  private lastSweep = 0;

  constructor(
    private readonly maxEntries = 200_000,
    private readonly now: () => number = Date.now,
  ) {}

  add(id: string, expiresAtMs: number): Promise<ReplayVerdict> {
    return Promise.resolve(this.addNow(id, expiresAtMs));
  }

  private addNow(id: string, expiresAtMs: number): ReplayVerdict {
    const t = this.now();
    if (t - this.lastSweep > 10_000) this.sweep(t);
    const existing = this.seen.get(id);
    if (existing !== undefined && existing > t) return 'replay';
    if (this.seen.size >= this.maxEntries) {
      this.sweep(t);
      if (this.seen.size >= this.maxEntries) return 'full';
    }
    this.seen.set(id, expiresAtMs);
    return 'new';
  }

  get size(): number {
    return this.seen.size;
  }

  private sweep(t: number): void {
    this.lastSweep = t;
    for (const [id, exp] of this.seen) if (exp <= t) this.seen.delete(id);
  }
}

/**
 * Shared by every worker and instance: one atomic statement per token (src/store/store.ts `claimJti`). The call
 * waits on the database: correctness needs it (a replay must be refused whichever instance saw the token). When
 * the database cannot answer, the request is refused with 503 (fail closed), never let through unchecked.
 * Expired ids are deleted by the store's sweep.
 */
export class SharedReplayCache implements ReplayGuard {
  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {}

  async add(id: string, expiresAtMs: number): Promise<ReplayVerdict> {
    let fresh: boolean;
    try {
      fresh = await this.store.claimJti(id, expiresAtMs, this.now());
    } catch {
      throw new HttpError(503, {
        code: 'transient',
        diagnostics: 'the service cannot check the token against replay now (database unavailable); retry later',
      });
    }
    return fresh ? 'new' : 'replay';
  }
}
