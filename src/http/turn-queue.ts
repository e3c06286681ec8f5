/**
 * Work that runs together in the check phase of the event loop's turn in which it was queued (one setImmediate
 * for all of it), in the order it was queued.
 *
 * The hook handler queues each hook call here once its body is read. Under load one turn of the loop reads many
 * requests (with 32 connections, about 30 per turn); their calls then run one after another, and so do their
 * answers, instead of each call running between the HTTP parsing, routing and socket writes of the requests
 * around it. Each stage's code and data are then still in the CPU's caches when the next request reaches it: on
 * the benchmark machine this halved the CPU of a hook call and doubled the requests per second
 * (docs/performance.md, "Issue 14, third round"). A lone request waits one setImmediate (microseconds); no
 * request waits for a later turn, so nothing is held back for a batch to fill.
 */
export class TurnQueue {
  private queue: (() => void)[] = [];

  /** @param onError told of a queued piece of work that threw (the rest of the turn's work still runs). */
  constructor(private readonly onError: (err: unknown) => void) {}

  private readonly drain = (): void => {
    this.runQueued();
  };

  /** Runs the work queued so far, in order (the check phase calls it). */
  runQueued(): void {
    const work = this.queue;
    this.queue = [];
    for (const run of work) {
      try {
        run();
      } catch (err) {
        this.onError(err);
      }
    }
  }

  /** Runs `work` in this turn's check phase, after the work queued before it. */
  defer(work: () => void): void {
    if (this.queue.push(work) === 1) setImmediate(this.drain);
  }

  /** Work queued and not yet run. */
  get pending(): number {
    return this.queue.length;
  }
}
