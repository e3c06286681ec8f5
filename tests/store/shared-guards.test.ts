import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { IssuedCards } from '../../src/cds/issued-cards.js';
import { createLogger } from '../../src/log.js';
import { RateLimiter, setRateLimitHeaders } from '../../src/http/rate-limit.js';
import { SharedReplayCache } from '../../src/security/replay-cache.js';
import { patientHasher } from '../../src/store/patient-hash.js';
import type { Store } from '../../src/store/store.js';
import { HttpError } from '../../src/http/operation-outcome.js';
import { ENGINES, openTestStore } from './engines.js';

const silent = createLogger({ level: 'silent' });

describe.each(ENGINES)('shared guards on $name', (engine) => {
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

  test('two limiters on one store share the count: 5 per minute over both (one more at most, docs/storage.md)', async () => {
    const one = new RateLimiter(5, { store, name: 'test' });
    const two = new RateLimiter(5, { store, name: 'test' });
    const allowed: boolean[] = [];
    for (let i = 0; i < 12; i++) {
      const limiter = i % 2 === 0 ? one : two;
      allowed.push(limiter.check('client').wait === 0);
      await limiter.flush();
    }
    // Each limiter decides from the shared count it last read plus its own requests: it has not seen the other's
    // latest request, so the pair lets one more through than a single process would, never more.
    expect(allowed.slice(0, 5)).toEqual([true, true, true, true, true]);
    expect(allowed.filter(Boolean).length).toBeLessThanOrEqual(6);
    expect(allowed.slice(6)).toEqual([false, false, false, false, false, false]);
    // A limiter alone is exact.
    const alone = new RateLimiter(5, { store, name: 'alone' });
    const own: boolean[] = [];
    for (let i = 0; i < 8; i++) {
      own.push(alone.check('client').wait === 0);
      await alone.flush();
    }
    expect(own.filter(Boolean)).toHaveLength(5);
  });

  test('the RateLimit headers report the limit, what is left and the reset', () => {
    const res = new ServerResponse(new IncomingMessage(new Socket()));
    setRateLimitHeaders(res, { wait: 0, limit: 600, remaining: 599, reset: 60 });
    setRateLimitHeaders(res, { wait: 0, limit: 1200, remaining: 1000, reset: 30 }); // more left: not reported
    expect(res.getHeaders()).toEqual({
      'ratelimit-policy': '600;w=60',
      'ratelimit-limit': '600',
      'ratelimit-remaining': '599',
      'ratelimit-reset': '60',
    });
  });

  test('the replay cache is shared: a jti claimed by one guard is a replay for another', async () => {
    const a = new SharedReplayCache(store);
    const b = new SharedReplayCache(store);
    const exp = Date.now() + 60_000;
    expect(await a.add('iss|shared', exp)).toBe('new');
    expect(await b.add('iss|shared', exp)).toBe('replay');
  });

  test('the ledger is written in batches, off the call; find() writes what is queued first', async () => {
    const ledger = new IssuedCards(store, patientHasher('k'.repeat(32)), silent, { flushMs: 60_000 });
    ledger.remember('batched-1', 'svc', 'radiographs-first', 'patient-1', new Date());
    expect((await store.findIssued(['batched-1'])).size).toBe(0);
    const found = await ledger.find(['batched-1'], 0);
    expect(found.get('batched-1')).toMatchObject({ serviceId: 'svc', topic: 'radiographs-first' });
    // The patient only as its keyed hash.
    expect(found.get('batched-1')?.patientHash).toBe(patientHasher('k'.repeat(32))('patient-1'));
    expect(found.get('batched-1')?.patientHash).not.toContain('patient-1');
    await ledger.close();
  });
});

test('with the database gone, the replay check refuses the call (503), never lets it through', async () => {
  const store = await openTestStore({ url: undefined, sqliteFile: ':memory:' });
  await store.close();
  const guard = new SharedReplayCache(store);
  const err = await guard.add('iss|x', Date.now() + 1000).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(HttpError);
  expect((err as HttpError).status).toBe(503);
});

test('with the database gone, a limiter goes on counting alone: the limit holds per process', async () => {
  const store = await openTestStore({ url: undefined, sqliteFile: ':memory:' });
  await store.close();
  const limiter = new RateLimiter(3, { store, name: 'gone', log: silent });
  const allowed: boolean[] = [];
  for (let i = 0; i < 6; i++) {
    allowed.push(limiter.check('client').wait === 0);
    await limiter.flush().catch(() => undefined);
  }
  expect(allowed).toEqual([true, true, true, false, false, false]);
});
