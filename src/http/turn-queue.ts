/**
 * Work that runs together in the check phase of the event loop's turn in which it was queued (one setImmediate
 * for all of it), in the order it was queued.
 *
 * The hook handler queues each hook call here once its body is read. Under load one turn of the loop reads many
 * requests (with 32 connections, about 30 per turn), and their calls then start one after another. Each `await`
 * of a call lets the next call reach the same point, so the calls of a batch move through the pipeline stage by
 * stage (all parsed and validated, all gathered, all indexed and judged, all rendered) and their answers are
 * written one after another, instead of each call running whole between the HTTP parsing, routing and socket
 * writes of the requests around it. Each stage's code and data are then still in the CPU's caches when the next
 * call reaches it: on the benchmark machine this more than halved the CPU of a hook call (docs/performance.md,
 * "Issue 14, third round"; running each call to its end before the next starts was measured too, and gained
 * much less). A lone request waits one setImmediate (microseconds), and nothing is held back for a batch to
 * fill. A batch is bounded by the sizes given with the work (the request bodies): the calls of a batch are all
 * in memory at once, and large records are better answered one at a time, as soon as they are read.
 */
export class TurnQueue {
  /** Queued work, each piece with the size it was given. */
  private queue: { run: () => void; size: number }[] = [];

  /**
   * @param onError told of a queued piece of work that threw (the rest of the turn's work still runs).
   * @param maxBatchSize the sizes (request body characters) one batch may add up to; the rest runs in the next
   *   turn's check phase.
   */
  constructor(
    private readonly onError: (err: unknown) => void,
    private readonly maxBatchSize = Infinity,
  ) {}

  private readonly drain = (): void => {
    this.runQueued();
  };

  /** Runs the work queued so far, in order, up to maxBatchSize (the check phase calls it). */
  runQueued(): void {
    // As many pieces as fit in maxBatchSize (each fits on its own: defer ran larger ones at once).
    let n = 0;
    let size = 0;
    while (n < this.queue.length && size + (this.queue[n]?.size ?? 0) <= this.maxBatchSize) size += this.queue[n++]?.size ?? 0;
    const work = this.queue.splice(0, n);
    if (this.queue.length > 0) setImmediate(this.drain);
    for (const { run } of work) {
      try {
        run();
      } catch (err) {
        this.onError(err);
      }
    }
  }

  /**
   * Runs `work` in this turn's check phase, after the work queued before it (or in a later turn's, when the batch
   * before it is full: see maxBatchSize). Work larger than a whole batch runs at once, as it would without a
   * queue: a large record waiting in the queue, read but not yet parsed, only holds memory.
   */
  defer(work: () => void, size = 0): void {
    if (size > this.maxBatchSize) {
      try {
        work();
      } catch (err) {
        this.onError(err);
      }
      return;
    }
    if (this.queue.push({ run: work, size }) === 1) setImmediate(this.drain);
  }

  /** Work queued and not yet run. */
  get pending(): number {
    return this.queue.length;
  }
}
