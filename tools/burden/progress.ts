/** A progress bar with rate and ETA on stderr, for large inputs; redrawn at most 10 times a second. */
export class Progress {
  private done = 0;
  private lastDraw = 0;
  private lastDecile = -1;
  private readonly started = performance.now();

  constructor(
    private readonly total: number,
    private readonly enabled: boolean,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {}

  add(n: number): void {
    this.done += n;
    const t = performance.now();
    if (this.enabled && (t - this.lastDraw > 100 || this.done >= this.total)) {
      this.lastDraw = t;
      this.draw(t);
    }
  }

  private draw(t: number): void {
    const seconds = (t - this.started) / 1000;
    const rate = seconds > 0 ? this.done / seconds : 0;
    const left = rate > 0 ? Math.max(0, (this.total - this.done) / rate) : 0;
    const share = this.total > 0 ? Math.min(1, this.done / this.total) : 1;
    const width = 30;
    const filled = Math.round(share * width);
    const line = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(this.done)}/${String(this.total)} patients  ${rate.toFixed(0)}/s  ETA ${left.toFixed(0)} s`;
    const decile = Math.floor(share * 10);
    if (this.out.isTTY) this.out.write(`\r${line}`);
    else if (decile !== this.lastDecile) this.out.write(`${line}\n`); // a log, not a terminal: one line per 10 %
    this.lastDecile = decile;
  }

  finish(): void {
    if (this.enabled && this.out.isTTY) this.out.write('\n');
  }
}
