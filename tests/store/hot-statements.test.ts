import { createHmac } from 'node:crypto';
import type { SqliteDatabase, SqliteStatement } from 'kysely';
import { keepStatementsPrepared } from '../../src/store/db.js';
import { patientHasher } from '../../src/store/patient-hash.js';
import { ENGINES, feedbackRow, openTestStore } from './engines.js';

/** A SQLite database that counts what it prepares and closes (the statements do nothing). */
function countingDatabase(): SqliteDatabase & { prepared: string[]; closed: number } {
  const db = {
    prepared: [] as string[],
    closed: 0,
    close(): void {
      db.closed++;
    },
    prepare(sql: string): SqliteStatement {
      db.prepared.push(sql);
      return {
        reader: true,
        all: () => [],
        run: () => ({ changes: 0, lastInsertRowid: 0 }),
        iterate: () => [][Symbol.iterator](),
      };
    },
  };
  return db;
}

describe('SQLite statements stay prepared (the hook path prepares nothing per call)', () => {
  test('the same SQL text is prepared once and its statement reused', () => {
    const raw = countingDatabase();
    const db = keepStatementsPrepared(raw);
    const first = db.prepare('select 1');
    expect(db.prepare('select 1')).toBe(first);
    db.prepare('select 2');
    expect(raw.prepared).toEqual(['select 1', 'select 2']);
  });

  test('beyond the bound the oldest text is let go and prepared again when it comes back', () => {
    const raw = countingDatabase();
    const db = keepStatementsPrepared(raw, 2);
    db.prepare('a');
    db.prepare('b');
    db.prepare('c'); // lets 'a' go
    db.prepare('b');
    db.prepare('a');
    expect(raw.prepared).toEqual(['a', 'b', 'c', 'a']);
  });

  test('a text in use stays: the least recently used one is let go', () => {
    const raw = countingDatabase();
    const db = keepStatementsPrepared(raw, 2);
    db.prepare('a');
    db.prepare('b');
    db.prepare('a'); // used again
    db.prepare('c'); // lets 'b' go, not 'a'
    db.prepare('a');
    db.prepare('b');
    expect(raw.prepared).toEqual(['a', 'b', 'c', 'b']);
  });

  test('closing closes the database once', () => {
    const raw = countingDatabase();
    const db = keepStatementsPrepared(raw);
    db.prepare('select 1');
    db.close();
    expect(raw.closed).toBe(1);
  });
});

describe('the patient hash is remembered, never changed', () => {
  const secret = 's'.repeat(32);
  const direct = (id: string): string => createHmac('sha256', secret).update(id, 'utf8').digest('hex').slice(0, 32);

  test('each id hashes as the keyed HMAC does, again and again, also after it was let go', () => {
    const hash = patientHasher(secret, 3);
    const ids = ['p1', 'p2', 'p3', 'p4', 'p1', 'p5', 'p2', 'p2', 'Patient/ü'];
    for (const id of ids) expect(hash(id)).toBe(direct(id));
  });

  test('two secrets never share a remembered hash', () => {
    expect(patientHasher('a'.repeat(32))('p1')).not.toBe(patientHasher('b'.repeat(32))('p1'));
  });
});

describe.each(ENGINES)('the precompiled hot statements on $name', (engine) => {
  test('the quiet-period read, the replay claim and the ledger inserts answer the same call after call', async () => {
    const db = await engine.fresh();
    const store = await openTestStore(db);
    try {
      const now = Date.now();
      await store.saveFeedback([
        {
          row: feedbackRow('k1', 'radiographs-first'),
          quiet: { patient_hash: 'h1', topic: 'radiographs-first', until_ms: now + 5000, reason: 'overridden' },
        },
      ]);
      for (let i = 0; i < 3; i++) {
        expect((await store.quietTopics('h1', now)).map((r) => r.topic)).toEqual(['radiographs-first']);
        expect(await store.quietTopics('h1', now + 5000)).toEqual([]);
        expect(await store.quietTopics('h2', now)).toEqual([]);
      }
      for (let i = 0; i < 3; i++) {
        expect(await store.claimJti(`iss|${i}`, now + 1000, now)).toBe(true);
        expect(await store.claimJti(`iss|${i}`, now + 1000, now)).toBe(false);
      }
      // An expired claim is taken again: the third parameter is the time, not the expiry.
      expect(await store.claimJti('iss|0', now + 3000, now + 2000)).toBe(true);

      // The ledger's batches of any size, written in statements of fixed sizes: every row, each once.
      for (const n of [1, 3, 21, 150, 301]) {
        const rows = Array.from({ length: n }, (_, i) => ({
          uuid: `card-${n}-${i}`,
          service_id: 'hip-pain-patient-view',
          topic: `topic-${i % 7}`,
          patient_hash: `hash-${i % 3}`,
          issued_at: now + i,
        }));
        await store.recordIssued(rows);
        await store.recordIssued(rows.slice(0, 2)); // repeats are ignored
        const found = await store.findIssued(rows.map((r) => r.uuid));
        expect(found.size).toBe(n);
        for (const r of rows) expect(found.get(r.uuid)).toEqual(r);
      }
      await store.recordIssued([]);

      // A quiet read while feedback is being saved sees the rows before the transaction or after it, never a part of
      // it. SQLite's one connection runs the read after the transaction (the read waits its turn while one is under
      // way); PostgreSQL reads on another connection, before the commit or after it.
      const saving = store.saveFeedback([
        {
          row: feedbackRow('k2', 'exercise-therapy-first'),
          quiet: { patient_hash: 'h1', topic: 'exercise-therapy-first', until_ms: now + 5000, reason: 'overridden' },
        },
      ]);
      const during = store.quietTopics('h1', now);
      await saving;
      const seen = (await during).map((r) => r.topic).sort();
      if (engine.name === 'sqlite') expect(seen).toEqual(['exercise-therapy-first', 'radiographs-first']);
      else expect([['radiographs-first'], ['exercise-therapy-first', 'radiographs-first']]).toContainEqual(seen);
      expect((await store.quietTopics('h1', now)).map((r) => r.topic).sort()).toEqual([
        'exercise-therapy-first',
        'radiographs-first',
      ]);
    } finally {
      await store.close();
      await db.drop();
    }
  });
});
