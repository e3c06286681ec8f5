import { type Kysely, sql } from 'kysely';
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../src/store/db.js';
import { migrate } from '../../src/store/migrations.js';
import type { Store } from '../../src/store/store.js';
import { ENGINES, feedbackRow, openTestStore } from './engines.js';

describe.each(ENGINES)('the store on $name', (engine) => {
  let db: Awaited<ReturnType<typeof engine.fresh>>;
  let store: Store;
  beforeAll(async () => {
    db = await engine.fresh();
    store = await openTestStore(db);
  });
  afterAll(async () => {
    await store.close();
    await db.drop();
  });

  test('is ready once migrated, and a second open finds the schema up to date', async () => {
    expect(await store.ready()).toBe(true);
    const again = await openTestStore(db);
    expect(await again.ready()).toBe(true);
    await again.close();
  });

  test('a jti is claimed once until it expires, then may be claimed again', async () => {
    const now = Date.now();
    expect(await store.claimJti('iss|a', now + 60_000, now)).toBe(true);
    expect(await store.claimJti('iss|a', now + 60_000, now)).toBe(false);
    expect(await store.claimJti('iss|a', now + 120_000, now + 61_000)).toBe(true);
    expect(await store.claimJti('iss|b', now + 60_000, now)).toBe(true);
  });

  test('rate-limit windows count across calls and restart when over', async () => {
    const t = Date.now();
    let r = await store.countRequests(
      [
        { key: 'k1', n: 3 },
        { key: 'k2', n: 1 },
      ],
      t,
      60_000,
    );
    expect(r.get('k1')).toEqual({ windowStart: t, count: 3 });
    r = await store.countRequests([{ key: 'k1', n: 2 }], t + 1000, 60_000);
    expect(r.get('k1')).toEqual({ windowStart: t, count: 5 });
    r = await store.countRequests([{ key: 'k1', n: 1 }], t + 60_000, 60_000);
    expect(r.get('k1')).toEqual({ windowStart: t + 60_000, count: 1 });
  });

  test('feedback is stored once by key, in one transaction with its quiet period; a period only grows', async () => {
    const now = Date.now();
    const quiet = {
      patient_hash: 'p1',
      topic: 'radiographs-first',
      until_ms: now + 1000_000,
      reason: 'overridden:patient-declined',
    };
    const created = await store.saveFeedback([{ row: feedbackRow('f1'), quiet }, { row: feedbackRow('f2') }]);
    expect([...created].sort()).toEqual(['f1', 'f2']);
    const again = await store.saveFeedback([
      { row: feedbackRow('f1'), quiet: { ...quiet, until_ms: now + 9000_000 } },
      { row: feedbackRow('f3') },
    ]);
    expect([...again]).toEqual(['f3']);
    // The duplicate did not lengthen the period.
    expect(await store.quietTopics('p1', now)).toEqual([
      { topic: 'radiographs-first', untilMs: now + 1000_000, reason: quiet.reason },
    ]);
    await store.saveFeedback([{ row: feedbackRow('f4'), quiet: { ...quiet, until_ms: now + 10 } }]);
    expect((await store.quietTopics('p1', now))[0]?.untilMs).toBe(now + 1000_000);
    expect(await store.quietTopics('p1', now + 1000_000)).toEqual([]);
    expect(await store.quietTopics('p2', now)).toEqual([]);
    expect((await store.allFeedback()).filter((f) => f.key.startsWith('f')).map((f) => f.key)).toEqual(
      expect.arrayContaining(['f1', 'f2', 'f3', 'f4']),
    );
  });

  test('the ledger finds issued cards by uuid; the summary counts per topic and reason', async () => {
    const now = Date.now();
    await store.recordIssued([
      { uuid: 'u1', service_id: 's', topic: 'add-duloxetine', patient_hash: 'p', issued_at: now },
      { uuid: 'u2', service_id: 's', topic: 'add-duloxetine', patient_hash: 'p', issued_at: now },
    ]);
    const found = await store.findIssued(['u1', 'nope']);
    expect([...found.keys()]).toEqual(['u1']);
    expect(found.get('u1')).toMatchObject({ topic: 'add-duloxetine', patient_hash: 'p', issued_at: now });
    await store.saveFeedback([
      { row: { ...feedbackRow('s1', 'add-duloxetine'), outcome: 'accepted', override_code: null } },
      { row: feedbackRow('s2', 'add-duloxetine') },
    ]);
    await store.addToCounter('feedback-unknown-card:s', 2);
    await store.addToCounter('feedback-unknown-card:s', 1);
    const summary = await store.feedbackSummary();
    expect(summary.topics.find((t) => t.topic === 'add-duloxetine')).toEqual({
      topic: 'add-duloxetine',
      issued: 2,
      accepted: 1,
      overridden: 1,
      overriddenByReason: { 'patient-declined': 1 },
      acceptanceRate: 0.5,
    });
    expect(summary.unknownCards).toBe(3);
  });

  test('retention: old feedback, old ledger rows, ended quiet periods and expired jtis are swept', async () => {
    const now = Date.now();
    const old = now - 400 * 86_400_000;
    await store.saveFeedback([{ row: { ...feedbackRow('old'), received_at: old } }]);
    await store.recordIssued([{ uuid: 'old-card', service_id: 's', topic: 't', patient_hash: 'p', issued_at: old }]);
    await store.claimJti('iss|old', now - 1, now - 10);
    await store.sweep(now);
    expect((await store.allFeedback()).some((f) => f.key === 'old')).toBe(false);
    expect((await store.findIssued(['old-card'])).size).toBe(0);
    expect(await store.claimJti('iss|old', now + 1000, now)).toBe(true);
  });
});

describe('the legacy feedback file', () => {
  test('is imported once into a new SQLite database, then renamed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cds-legacy-'));
    const file = join(dir, 'feedback.jsonl');
    const rec = {
      key: 'k1',
      serviceId: 'hip-pain-patient-view',
      card: 'c1',
      topic: 'radiographs-first',
      outcome: 'accepted',
      acceptedSuggestions: ['s'],
      outcomeTimestamp: '2026-11-01T00:00:00Z',
      receivedAt: '2026-11-01T00:00:01Z',
    };
    writeFileSync(
      file,
      `${JSON.stringify(rec)}\n${JSON.stringify({ ...rec, key: 'k2', card: 'c2', outcome: 'overridden', overrideReason: { code: 'patient-declined', userComment: 'x' } })}\n{"torn":\n`,
    );
    const store = await openTestStore({ url: undefined, sqliteFile: join(dir, 'db.sqlite') }, { legacyFeedbackFile: file });
    const all = await store.allFeedback();
    expect(all.map((r) => [r.key, r.topic, r.outcome, r.override_code, r.user_comment])).toEqual([
      ['k1', 'radiographs-first', 'accepted', null, null],
      ['k2', 'radiographs-first', 'overridden', 'patient-declined', 'x'],
    ]);
    expect(existsSync(file)).toBe(false);
    expect(existsSync(`${file}.imported`)).toBe(true);
    await store.close();
  });
});

describe.each(ENGINES)('migrations on $name', (engine) => {
  test('a failing migration leaves nothing behind, and stops with its name', async () => {
    const db = await engine.fresh();
    const open = openDatabase({ url: db.url, sqliteFile: db.sqliteFile, poolSize: 2 });
    try {
      const broken = {
        '0001-broken': {
          async up(k: Kysely<unknown>): Promise<void> {
            await k.schema.createTable('half_done').addColumn('id', 'integer').execute();
            await sql`select * from a_table_that_does_not_exist`.execute(k);
          },
        },
      };
      await expect(migrate(open.db as Kysely<unknown>, open.engine, broken)).rejects.toThrow(
        'database migration 0001-broken failed',
      );
      const tables = (await open.db.introspection.getTables()).map((t) => t.name);
      expect(tables).not.toContain('half_done');
      const ran = await sql<{ n: number | string }>`select count(*) as n from kysely_migration`
        .execute(open.db)
        .catch(() => undefined);
      expect(Number(ran?.rows[0]?.n ?? 0)).toBe(0);
    } finally {
      await open.db.destroy();
      await db.drop();
    }
  });
});
