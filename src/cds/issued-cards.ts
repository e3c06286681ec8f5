import type { Logger } from '../log.js';
import type { PatientHasher } from '../store/patient-hash.js';
import type { IssuedCardTable, Store } from '../store/store.js';

export interface IssuedCard {
  serviceId: string;
  topic: string;
  /** The patient as the database knows them (keyed HMAC, never the id). */
  patientHash: string;
  issuedAt: number;
}

/**
 * The ledger of the cards the service answered (uuid -> service, topic, patient hash, time), shared by every
 * worker and instance through the database, so that feedback is attributed to its topic and patient whichever
 * instance issued the card. A hook call never waits on it: `remember` only queues the card, and the queue is
 * written in one statement at most every `flushMs` (or at `maxBatch` cards). Feedback arriving before its card
 * was written is looked up again after the next write (`find`).
 */
export class IssuedCards {
  private queue: IssuedCardTable[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  /** Cards that could not be written (database unavailable); for the log and metrics. */
  dropped = 0;

  constructor(
    private readonly store: Store,
    private readonly hash: PatientHasher,
    private readonly log: Logger,
    private readonly options: { flushMs?: number; maxBatch?: number } = {},
  ) {}

  remember(uuid: string, serviceId: string, topic: string, patientId: string, at: Date): void {
    this.queue.push({ uuid, service_id: serviceId, topic, patient_hash: this.hash(patientId), issued_at: at.getTime() });
    if (this.queue.length >= (this.options.maxBatch ?? 500)) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.options.flushMs ?? 50);
  }

  /** Writes what is queued (and waits for writes under way). */
  flush(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queue;
    this.queue = [];
    const previous = this.writing;
    this.writing = previous.then(async () => {
      if (batch.length === 0) return;
      try {
        await this.store.recordIssued(batch);
      } catch (err) {
        this.dropped += batch.length;
        this.log.warn({ err: (err as Error).message, cards: batch.length }, 'issued cards not recorded (database unavailable)');
      }
    });
    return this.writing;
  }

  /**
   * The issued cards among these uuids. Cards of this process still queued are written first; a uuid not found
   * is looked up once more after `retryMs`, in case another instance has not yet written it.
   */
  async find(uuids: readonly string[], retryMs = 3 * (this.options.flushMs ?? 50)): Promise<Map<string, IssuedCard>> {
    await this.flush();
    const found = await this.store.findIssued(uuids);
    const missing = uuids.filter((u) => !found.has(u));
    if (missing.length > 0 && retryMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, retryMs));
      for (const [k, v] of await this.store.findIssued(missing)) found.set(k, v);
    }
    const out = new Map<string, IssuedCard>();
    for (const [uuid, r] of found)
      out.set(uuid, { serviceId: r.service_id, topic: r.topic, patientHash: r.patient_hash, issuedAt: r.issued_at });
    return out;
  }

  async close(): Promise<void> {
    await this.flush();
  }
}
