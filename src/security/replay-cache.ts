/**
 * `jti` values seen within their token's lifetime (CDS Hooks best practice: "the jti value doesn't exist in the
 * short-term storage of JWTs previously processed"). Entries leave when their token expires. One cache per
 * process: with WEB_CONCURRENCY > 1 each worker keeps its own (see SECURITY.md).
 */
export class ReplayCache {
  private readonly seen = new Map<string, number>();
  private lastSweep = 0;

  constructor(
    private readonly maxEntries = 200_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records the id until `expiresAtMs`; false when it was already there (a replay) or the cache is full. */
  add(id: string, expiresAtMs: number): boolean {
    const t = this.now();
    if (t - this.lastSweep > 10_000) this.sweep(t);
    const existing = this.seen.get(id);
    if (existing !== undefined && existing > t) return false;
    if (this.seen.size >= this.maxEntries) {
      this.sweep(t);
      if (this.seen.size >= this.maxEntries) return false;
    }
    this.seen.set(id, expiresAtMs);
    return true;
  }

  private sweep(t: number): void {
    this.lastSweep = t;
    for (const [id, exp] of this.seen) if (exp <= t) this.seen.delete(id);
  }
}
