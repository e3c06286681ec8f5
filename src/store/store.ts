import { createReadStream, existsSync, renameSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { sql, type CompiledQuery, type Kysely, type QueryResult, type SqliteDatabase } from 'kysely';
import type { Logger } from '../log.js';
import { type DatabaseOptions, type Engine, openDatabase } from './db.js';
import { migrate } from './migrations.js';
import type { FeedbackTable, IssuedCardTable, QuietTable, Tables } from './schema.js';

export type { FeedbackTable, IssuedCardTable, QuietTable } from './schema.js';

const DAY_MS = 86_400_000;
/** Rows per INSERT (well under SQLite's 32 766 and PostgreSQL's 65 535 bound parameters). */
const CHUNK = 500;
/** Rows per statement of the ledger's inserts, largest first (the last must be 1). */
const ISSUED_SIZES: readonly number[] = [128, 16, 4, 1];
/** Columns of issued_card, in the order recordIssued binds them. */
const ISSUED_COLUMNS = 5;

export interface StoreOptions extends DatabaseOptions {
  /** Feedback older than this is deleted. */
  feedbackRetentionDays: number;
  /** Ledger rows (issued cards) older than this are deleted; feedback for such a card is then unknown. */
  issuedCardsRetentionDays: number;
  /** A JSON Lines file of the former feedback store, imported once (then renamed to `<file>.imported`). */
  legacyFeedbackFile?: string;
  log: Logger;
  /** How often expired rows are swept (ms; 0 = only at start). */
  sweepEveryMs?: number;
}

/** Per topic, for `npm run feedback-report` and the pathway page. */
export interface TopicFeedbackSummary {
  topic: string;
  issued: number;
  accepted: number;
  overridden: number;
  /** Overrides by reason code (`(none)` for an override without a reason). */
  overriddenByReason: Record<string, number>;
  /** accepted / issued (0 when none was issued in the period). */
  acceptanceRate: number;
}

export interface FeedbackSummary {
  /** The period counted: from (ms since the epoch) until now. */
  sinceMs: number;
  topics: TopicFeedbackSummary[];
  /** Feedback items for cards this service never issued (or no longer remembers): counted, not stored. */
  unknownCards: number;
}

function chunks<T>(rows: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += CHUNK) out.push(rows.slice(i, i + CHUNK));
  return out;
}

/** A record of the former JSON Lines store (src/feedback/store.ts before the database). */
interface LegacyRecord {
  key?: unknown;
  serviceId?: unknown;
  card?: unknown;
  topic?: unknown;
  outcome?: unknown;
  acceptedSuggestions?: unknown;
  overrideReason?: { system?: unknown; code?: unknown; display?: unknown; userComment?: unknown };
  outcomeTimestamp?: unknown;
  receivedAt?: unknown;
}

const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function legacyRow(r: LegacyRecord): FeedbackTable | undefined {
  const key = text(r.key);
  const serviceId = text(r.serviceId);
  const card = text(r.card);
  const outcomeTimestamp = text(r.outcomeTimestamp);
  if (key === null || serviceId === null || card === null || outcomeTimestamp === null) return undefined;
  if (r.outcome !== 'accepted' && r.outcome !== 'overridden') return undefined;
  const received = Date.parse(text(r.receivedAt) ?? '');
  return {
    key,
    service_id: serviceId,
    card,
    topic: text(r.topic) ?? 'unknown',
    outcome: r.outcome,
    accepted_suggestions: Array.isArray(r.acceptedSuggestions) ? JSON.stringify(r.acceptedSuggestions) : null,
    override_system: text(r.overrideReason?.system),
    override_code: text(r.overrideReason?.code),
    override_display: text(r.overrideReason?.display),
    user_comment: text(r.overrideReason?.userComment),
    outcome_timestamp: outcomeTimestamp,
    received_at: Number.isFinite(received) ? received : Date.now(),
  };
}

/**
 * A statement of the hook path compiled once, with placeholder values, and run with each call's parameters (in the
 * order its builder binds them): Kysely would otherwise build and compile the same SQL on every call.
 */
class Precompiled<R> {
  constructor(
    private readonly query: CompiledQuery<R>,
    arity: number,
  ) {
    if (query.parameters.length !== arity)
      throw new Error(`precompiled query has ${query.parameters.length} parameters, not ${arity}: ${query.sql}`);
  }

  run(db: Kysely<Tables>, parameters: readonly unknown[]): Promise<QueryResult<R>> {
    return db.executeQuery({ ...this.query, parameters });
  }

  /** Its SQL text (for running it on the SQLite connection directly). */
  get sql(): string {
    return this.query.sql;
  }
}

/** A row of the quiet-period read, as SQLite gives it. */
function quietRow(x: unknown): { topic: string; untilMs: number; reason: string } | undefined {
  if (typeof x !== 'object' || x === null) return undefined;
  const topic: unknown = Reflect.get(x, 'topic');
  const until: unknown = Reflect.get(x, 'until_ms');
  const reason: unknown = Reflect.get(x, 'reason');
  if (typeof topic !== 'string' || typeof reason !== 'string') return undefined;
  const untilMs = typeof until === 'bigint' ? Number(until) : until;
  return typeof untilMs === 'number' ? { topic, untilMs, reason } : undefined;
}

/**
 * The service's shared state, one database for every worker and instance: SQLite (a file, the default) or
 * PostgreSQL (DATABASE_URL). What lives here and why: docs/storage.md.
 */
export class Store {
  private migrated = false;
  private sweeper: NodeJS.Timeout | undefined;
  /** Transactions begun and not yet ended: while one is, the quiet read and the replay claim go through Kysely. */
  private openTransactions = 0;

  /** The quiet-period read of every patient-view call: (patient_hash, now). */
  private readonly quietRead: Precompiled<Pick<QuietTable, 'topic' | 'until_ms' | 'reason'>>;
  /** The JWT replay claim of every authenticated call: (id, expires_at, now). */
  private readonly jtiClaim: Precompiled<{ id: string }>;
  /** The ledger's inserts, one per size of ISSUED_SIZES: (uuid, service_id, topic, patient_hash, issued_at) per row. */
  private readonly issuedInserts = new Map<number, Precompiled<unknown>>();

  private constructor(
    readonly db: Kysely<Tables>,
    readonly engine: Engine,
    /** The driver in use: `pg`, `node:sqlite` or `better-sqlite3`. */
    readonly driver: string,
    private readonly options: StoreOptions,
    /** SQLite: the connection itself, for the quiet read and the replay claim run at once. */
    private readonly sqlite?: SqliteDatabase,
  ) {
    this.quietRead = new Precompiled(
      db
        .selectFrom('quiet')
        .select(['topic', 'until_ms', 'reason'])
        .where('patient_hash', '=', '')
        .where('until_ms', '>', 0)
        .compile(),
      2,
    );
    this.jtiClaim = new Precompiled(
      db
        .insertInto('replay')
        .values({ id: '', expires_at: 0 })
        .onConflict((oc) =>
          oc
            .column('id')
            .doUpdateSet((eb) => ({ expires_at: eb.ref('excluded.expires_at') }))
            .where('replay.expires_at', '<=', 0),
        )
        .returning('id')
        .compile(),
      3,
    );
    const placeholder: IssuedCardTable = { uuid: '', service_id: '', topic: '', patient_hash: '', issued_at: 0 };
    for (const size of ISSUED_SIZES)
      this.issuedInserts.set(
        size,
        new Precompiled(
          db
            .insertInto('issued_card')
            .values(Array.from({ length: size }, () => placeholder))
            .onConflict((oc) => oc.column('uuid').doNothing())
            .compile(),
          size * ISSUED_COLUMNS,
        ),
      );
  }

  /** Opens the database, runs pending migrations (safe when several instances start at once), imports the legacy file. */
  static async open(options: StoreOptions): Promise<Store> {
    const { db, engine, driver, sqlite } = openDatabase(options);
    const store = new Store(db, engine, driver, options, sqlite);
    try {
      const ran = await migrate(db as Kysely<unknown>, engine);
      store.migrated = true;
      options.log.info({ engine, driver, migrations: ran }, ran.length > 0 ? 'database migrated' : 'database schema up to date');
      if (options.legacyFeedbackFile !== undefined) await store.importLegacyFeedback(options.legacyFeedbackFile);
      await store.sweep(Date.now());
    } catch (err) {
      await db.destroy();
      throw err;
    }
    const every = options.sweepEveryMs ?? 10 * 60_000;
    if (every > 0) {
      store.sweeper = setInterval(() => {
        store.sweep(Date.now()).catch((err: unknown) => {
          options.log.warn({ err: (err as Error).message }, 'database sweep failed');
        });
      }, every);
      store.sweeper.unref();
    }
    return store;
  }

  /** Readiness (GET /readyz): migrations ran here and the database answers. */
  async ready(): Promise<boolean> {
    if (!this.migrated) return false;
    try {
      await sql`select 1`.execute(this.db);
      return true;
    } catch {
      return false;
    }
  }

  // --- JWT replay ------------------------------------------------------------------------------------------

  /**
   * Remembers `id` until `expiresAtMs`: true when it was not already remembered (or its entry had expired),
   * false for a replay. One statement, atomic across instances: an insert, or an update of an expired entry.
   */
  async claimJti(id: string, expiresAtMs: number, nowMs: number): Promise<boolean> {
    // SQLite: one statement at once on the connection, as quietTopics reads (and for the same reason, not while a
    // transaction of this store is under way).
    if (this.sqlite !== undefined && this.openTransactions === 0)
      return this.sqlite.prepare(this.jtiClaim.sql).all([id, expiresAtMs, nowMs]).length > 0;
    const { rows } = await this.jtiClaim.run(this.db, [id, expiresAtMs, nowMs]);
    return rows.length > 0;
  }

  // --- rate limits -----------------------------------------------------------------------------------------

  /**
   * Adds `n` requests to each key's current window (a window of `windowMs` starts with a key's first request
   * once the previous one ended) and returns each key's window start and total count, over all instances.
   */
  async countRequests(
    batch: readonly { key: string; n: number }[],
    nowMs: number,
    windowMs: number,
  ): Promise<Map<string, { windowStart: number; count: number }>> {
    const out = new Map<string, { windowStart: number; count: number }>();
    const ended = nowMs - windowMs;
    for (const part of chunks(batch)) {
      const rows = await this.db
        .insertInto('rate_limit')
        .values(part.map((b) => ({ key: b.key, window_start: nowMs, count: b.n })))
        .onConflict((oc) =>
          oc.column('key').doUpdateSet((eb) => ({
            count: eb
              .case()
              .when('rate_limit.window_start', '<=', ended)
              .then(eb.ref('excluded.count'))
              .else(eb('rate_limit.count', '+', eb.ref('excluded.count')))
              .end(),
            window_start: eb
              .case()
              .when('rate_limit.window_start', '<=', ended)
              .then(eb.ref('excluded.window_start'))
              .else(eb.ref('rate_limit.window_start'))
              .end(),
          })),
        )
        .returning(['key', 'window_start', 'count'])
        .execute();
      for (const r of rows) out.set(r.key, { windowStart: r.window_start, count: r.count });
    }
    return out;
  }

  // --- the ledger of issued cards --------------------------------------------------------------------------

  /**
   * Writes a batch of the ledger in statements of fixed sizes (ISSUED_SIZES), so that however many cards a batch
   * holds, the statements are a handful of SQL texts, compiled and prepared once.
   */
  async recordIssued(rows: readonly IssuedCardTable[]): Promise<void> {
    if (rows.length === 0) return;
    const write = async (db: Kysely<Tables>): Promise<void> => {
      let at = 0;
      for (const size of ISSUED_SIZES) {
        const insert = this.issuedInserts.get(size);
        if (insert === undefined) continue;
        for (; rows.length - at >= size; at += size) {
          const parameters: unknown[] = [];
          for (const r of rows.slice(at, at + size)) parameters.push(r.uuid, r.service_id, r.topic, r.patient_hash, r.issued_at);
          await insert.run(db, parameters);
        }
      }
    };
    // One statement needs no transaction; several are committed once (one WAL append for SQLite, not one each).
    if (ISSUED_SIZES.includes(rows.length)) await write(this.db);
    else await this.inTransaction(write);
  }

  async findIssued(uuids: readonly string[]): Promise<Map<string, IssuedCardTable>> {
    const out = new Map<string, IssuedCardTable>();
    const unique = [...new Set(uuids)];
    for (const part of chunks(unique)) {
      if (part.length === 0) continue;
      const rows = await this.db.selectFrom('issued_card').selectAll().where('uuid', 'in', part).execute();
      for (const r of rows) out.set(r.uuid, r);
    }
    return out;
  }

  // --- feedback and quiet periods --------------------------------------------------------------------------

  /**
   * Stores the feedback rows in one transaction (all or none), each unless its key is already there, and the
   * quiet periods of the rows that were new (a period only ever grows). Returns the keys that were new.
   */
  async saveFeedback(items: readonly { row: FeedbackTable; quiet?: QuietTable }[]): Promise<Set<string>> {
    return this.inTransaction(async (trx) => {
      const created = new Set<string>();
      for (const part of chunks(items)) {
        const rows = await trx
          .insertInto('feedback')
          .values(part.map((i) => i.row))
          .onConflict((oc) => oc.column('key').doNothing())
          .returning('key')
          .execute();
        for (const r of rows) created.add(r.key);
      }
      const quiets = new Map<string, QuietTable>();
      for (const i of items) {
        if (i.quiet === undefined || !created.has(i.row.key)) continue;
        const id = `${i.quiet.patient_hash}|${i.quiet.topic}`;
        const prev = quiets.get(id);
        if (prev === undefined || prev.until_ms < i.quiet.until_ms) quiets.set(id, i.quiet);
      }
      for (const part of chunks([...quiets.values()]))
        await trx
          .insertInto('quiet')
          .values(part)
          .onConflict((oc) =>
            oc
              .columns(['patient_hash', 'topic'])
              .doUpdateSet((eb) => ({ until_ms: eb.ref('excluded.until_ms'), reason: eb.ref('excluded.reason') }))
              .where('quiet.until_ms', '<', (eb) => eb.ref('excluded.until_ms')),
          )
          .execute();
      return created;
    });
  }

  /** Adds to a named counter shared by all instances (e.g. feedback for unknown cards). */
  async addToCounter(name: string, n: number): Promise<void> {
    await this.db
      .insertInto('counter')
      .values({ name, value: n })
      .onConflict((oc) => oc.column('name').doUpdateSet((eb) => ({ value: eb('counter.value', '+', eb.ref('excluded.value')) })))
      .execute();
  }

  async counter(prefix: string): Promise<number> {
    const row = await this.db
      .selectFrom('counter')
      // PostgreSQL's sum of a bigint is a numeric, which node-postgres gives as a string.
      .select((eb) => eb.fn.coalesce(eb.fn.sum<number | string>('value'), eb.lit(0)).as('total'))
      .where('name', 'like', `${prefix}%`)
      .executeTakeFirst();
    return Number(row?.total ?? 0);
  }

  /** One transaction, counted while it is begun (see quietTopics). */
  private async inTransaction<T>(work: (trx: Kysely<Tables>) => Promise<T>): Promise<T> {
    this.openTransactions++;
    try {
      return await this.db.transaction().execute(work);
    } finally {
      this.openTransactions--;
    }
  }

  /**
   * The topics quiet for this patient now, with their end. On SQLite, read at once on the connection (one prepared
   * statement, no turn to wait for: each statement runs whole in one synchronous call, so none can be half done),
   * unless a transaction of this store is under way, whose uncommitted rows it must not see nor join: then through
   * Kysely, after it.
   */
  async quietTopics(patientHash: string, nowMs: number): Promise<{ topic: string; untilMs: number; reason: string }[]> {
    if (this.sqlite !== undefined && this.openTransactions === 0) {
      const out: { topic: string; untilMs: number; reason: string }[] = [];
      for (const r of this.sqlite.prepare(this.quietRead.sql).all([patientHash, nowMs])) {
        const row = quietRow(r);
        if (row !== undefined) out.push(row);
      }
      return out;
    }
    const { rows } = await this.quietRead.run(this.db, [patientHash, nowMs]);
    return rows.map((r) => ({ topic: r.topic, untilMs: r.until_ms, reason: r.reason }));
  }

  async allFeedback(): Promise<FeedbackTable[]> {
    return this.db.selectFrom('feedback').selectAll().orderBy('received_at').orderBy('key').execute();
  }

  /**
   * Per topic: cards issued, accepted, overridden (by reason) and the acceptance rate, over the period since
   * `sinceMs` (default: as far back as the ledger keeps issued cards).
   */
  async feedbackSummary(sinceMs?: number): Promise<FeedbackSummary> {
    const since = sinceMs ?? Date.now() - this.options.issuedCardsRetentionDays * DAY_MS;
    const issued = await this.db
      .selectFrom('issued_card')
      .select((eb) => ['topic', eb.fn.countAll<number>().as('n')])
      .where('issued_at', '>=', since)
      .groupBy('topic')
      .execute();
    const outcomes = await this.db
      .selectFrom('feedback')
      .select((eb) => ['topic', 'outcome', 'override_code', eb.fn.countAll<number>().as('n')])
      .where('received_at', '>=', since)
      .groupBy(['topic', 'outcome', 'override_code'])
      .execute();
    const byTopic = new Map<string, TopicFeedbackSummary>();
    const entry = (topic: string): TopicFeedbackSummary => {
      let e = byTopic.get(topic);
      if (e === undefined) {
        e = { topic, issued: 0, accepted: 0, overridden: 0, overriddenByReason: {}, acceptanceRate: 0 };
        byTopic.set(topic, e);
      }
      return e;
    };
    for (const r of issued) entry(r.topic).issued += r.n;
    for (const r of outcomes) {
      const e = entry(r.topic);
      if (r.outcome === 'accepted') e.accepted += r.n;
      else {
        e.overridden += r.n;
        const reason = r.override_code ?? '(none)';
        e.overriddenByReason[reason] = (e.overriddenByReason[reason] ?? 0) + r.n;
      }
    }
    const topics = [...byTopic.values()]
      .map((e) => ({ ...e, acceptanceRate: e.issued > 0 ? e.accepted / e.issued : 0 }))
      .sort((a, b) => a.topic.localeCompare(b.topic));
    return { sinceMs: since, topics, unknownCards: await this.counter('feedback-unknown-card:') };
  }

  // --- retention -------------------------------------------------------------------------------------------

  /** Deletes what is past its retention or expiry. */
  async sweep(nowMs: number): Promise<void> {
    await this.db
      .deleteFrom('feedback')
      .where('received_at', '<', nowMs - this.options.feedbackRetentionDays * DAY_MS)
      .execute();
    await this.db
      .deleteFrom('issued_card')
      .where('issued_at', '<', nowMs - this.options.issuedCardsRetentionDays * DAY_MS)
      .execute();
    await this.db.deleteFrom('quiet').where('until_ms', '<=', nowMs).execute();
    await this.db.deleteFrom('replay').where('expires_at', '<=', nowMs).execute();
    // Rate-limit windows are a minute long; an hour-old row is certainly over.
    await this.db
      .deleteFrom('rate_limit')
      .where('window_start', '<', nowMs - 3_600_000)
      .execute();
  }

  /**
   * The former JSON Lines feedback file, imported once: every readable record is inserted (idempotent by its
   * key, so two instances importing at once store each once), then the file is renamed `<file>.imported`.
   */
  private async importLegacyFeedback(file: string): Promise<void> {
    if (!existsSync(file)) return;
    const rows: FeedbackTable[] = [];
    let unreadable = 0;
    for await (const line of createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity })) {
      if (line.trim() === '') continue;
      let row: FeedbackTable | undefined;
      try {
        row = legacyRow(JSON.parse(line) as LegacyRecord);
      } catch {
        row = undefined;
      }
      if (row === undefined) unreadable++;
      else rows.push(row);
    }
    const created = await this.saveFeedback(rows.map((row) => ({ row })));
    try {
      renameSync(file, `${file}.imported`);
    } catch {
      // Another instance renamed it first.
    }
    this.options.log.info({ records: rows.length, created: created.size, unreadable }, 'legacy feedback file imported');
  }

  async close(): Promise<void> {
    if (this.sweeper !== undefined) clearInterval(this.sweeper);
    await this.db.destroy();
  }
}
