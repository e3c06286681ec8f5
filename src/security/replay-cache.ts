/**
 * `jti` values seen within their token's lifetime (CDS Hooks best practice: "the jti value doesn't exist in the
 * short-term storage of JWTs previously processed"). Entries leave when their token expires. One cache per
 * process: with WEB_CONCURRENCY > 1 each worker keeps its own (see docs/security.md).
 *
 * When the cache is full of unexpired ids it refuses new ones (fails closed) rather than forgetting ids that
 * could then be replayed; the size bounds memory (about 100 bytes per id).
 */
export type ReplayVerdict = 'new' | 'replay' | 'full';

export class ReplayCache {
  private readonly seen = new Map<string, number>();
  private lastSweep = 0;

  constructor(
    private readonly maxEntries = 200_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records the id until `expiresAtMs`: 'new', or 'replay' when it is already there, or 'full'. */
  add(id: string, expiresAtMs: number): ReplayVerdict {
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
