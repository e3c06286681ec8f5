/**
 * A fixed-window counter per key (client address, or authenticated issuer): at most `perMinute` requests in
 * each minute. Memory stays bounded: windows are dropped when they end.
 */
export class RateLimiter {
  private windowStart = 0;
  private counts = new Map<string, number>();

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds to wait, or 0 when the request may go ahead. */
  take(key: string): number {
    if (this.perMinute <= 0) return 0;
    const t = this.now();
    if (t - this.windowStart >= 60_000) {
      this.windowStart = t - (t % 60_000);
      this.counts = new Map();
    }
    const n = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, n);
    return n > this.perMinute ? Math.ceil((this.windowStart + 60_000 - t) / 1000) : 0;
  }
}
