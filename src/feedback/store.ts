import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import type { FeedbackItem } from '../cds/types.js';

/**
 * Feedback records, kept through a small storage interface so durable storage can replace these two without
 * touching the endpoint. A record carries what the client said and what the service knows of the card (its
 * topic). The clinician's free-text `userComment` is kept as sent and may name a patient: it is never logged,
 * and the file store creates its file readable by the service's own user only.
 */
export interface FeedbackRecord {
  /** Content hash: the same feedback sent twice has the same key (the endpoint is idempotent). */
  key: string;
  serviceId: string;
  card: string;
  topic?: string;
  outcome: FeedbackItem['outcome'];
  acceptedSuggestions?: string[];
  overrideReason?: { system?: string; code?: string; display?: string; userComment?: string };
  outcomeTimestamp: string;
  receivedAt: string;
}

export interface FeedbackStore {
  /** Stores a record unless one with the same key exists; says which. */
  add(record: FeedbackRecord): Promise<'created' | 'duplicate'>;
  all(): Promise<FeedbackRecord[]>;
  close(): Promise<void>;
}

export function feedbackKey(serviceId: string, item: FeedbackItem): string {
  const canonical = JSON.stringify([
    serviceId,
    item.card,
    item.outcome,
    item.outcomeTimestamp,
    (item.acceptedSuggestions ?? []).map((s) => s.id).sort(),
    item.overrideReason?.reason?.system ?? null,
    item.overrideReason?.reason?.code ?? null,
    item.overrideReason?.userComment ?? null,
  ]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 32);
}

export class MemoryFeedbackStore implements FeedbackStore {
  private readonly records = new Map<string, FeedbackRecord>();

  async add(record: FeedbackRecord): Promise<'created' | 'duplicate'> {
    if (this.records.has(record.key)) return 'duplicate';
    this.records.set(record.key, record);
    return 'created';
  }

  async all(): Promise<FeedbackRecord[]> {
    return [...this.records.values()];
  }

  async close(): Promise<void> {}
}

/**
 * An append-only JSON Lines file. Keys already in the file are read at start-up, so repeats stay idempotent
 * across restarts. Appends are serialised so lines never interleave.
 */
export class FileFeedbackStore implements FeedbackStore {
  private readonly keys = new Set<string>();
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly path: string) {}

  static async open(path: string): Promise<FileFeedbackStore> {
    const store = new FileFeedbackStore(path);
    mkdirSync(dirname(path), { recursive: true });
    if (existsSync(path)) {
      for await (const line of createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity })) {
        if (line.trim() === '') continue;
        try {
          const key = (JSON.parse(line) as { key?: unknown }).key;
          if (typeof key === 'string') store.keys.add(key);
        } catch {
          // A torn last line (crash mid-write) is skipped, not fatal.
        }
      }
    }
    return store;
  }

  add(record: FeedbackRecord): Promise<'created' | 'duplicate'> {
    const result = this.queue.then(async () => {
      if (this.keys.has(record.key)) return 'duplicate' as const;
      await appendFile(this.path, `${JSON.stringify(record)}\n`, { encoding: 'utf8', mode: 0o600 });
      this.keys.add(record.key);
      return 'created' as const;
    });
    this.queue = result.catch(() => undefined);
    return result;
  }

  async all(): Promise<FeedbackRecord[]> {
    await this.queue;
    const out: FeedbackRecord[] = [];
    if (!existsSync(this.path)) return out;
    for await (const line of createInterface({ input: createReadStream(this.path, 'utf8'), crlfDelay: Infinity })) {
      if (line.trim() === '') continue;
      try {
        out.push(JSON.parse(line) as FeedbackRecord);
      } catch {
        // skipped, as at start-up
      }
    }
    return out;
  }

  async close(): Promise<void> {
    await this.queue;
  }
}
