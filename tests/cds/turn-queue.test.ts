import { Agent, createServer, request as httpRequest, type Server } from 'node:http';
import { jest } from '@jest/globals';
import type { AddressInfo } from 'node:net';
import type { CdsResponse } from '../../src/cds/types.js';
import { preshape } from '../../src/http/preshape.js';
import { TurnQueue } from '../../src/http/turn-queue.js';
import { loadScenario } from '../../tools/fixtures/scenarios.js';
import { scenarioRequest, SERVICE_FOR_HOOK } from '../helpers/scenario-call.js';
import { testService, type TestService } from '../helpers/service.js';

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The turn queue (src/http/turn-queue.ts): the hook calls of one turn of the event loop run together, in order,
 * in that turn's check phase; one that throws stops none of the others; and calls answered in one batch each get
 * their own patient's cards.
 */
describe('the turn queue', () => {
  test('work queued in one turn runs later in that turn, all of it, in the order queued', async () => {
    const queue = new TurnQueue(() => undefined);
    const ran: number[] = [];
    for (let i = 0; i < 5; i++) queue.defer(() => ran.push(i));
    expect(ran).toEqual([]);
    expect(queue.pending).toBe(5);
    await nextTurn();
    expect(ran).toEqual([0, 1, 2, 3, 4]);
    expect(queue.pending).toBe(0);
  });

  test('work queued while the queue runs waits for the next batch, and still runs', async () => {
    const queue = new TurnQueue(() => undefined);
    const ran: string[] = [];
    queue.defer(() => {
      ran.push('first');
      queue.defer(() => ran.push('queued by the first'));
    });
    queue.defer(() => ran.push('second'));
    await nextTurn();
    expect(ran).toEqual(['first', 'second']);
    await nextTurn();
    expect(ran).toEqual(['first', 'second', 'queued by the first']);
  });

  test('a batch holds as much work as its size allows; the rest runs in the next turns', async () => {
    const queue = new TurnQueue(() => undefined, 250);
    const ran: string[] = [];
    for (const name of ['a', 'b', 'c', 'd']) queue.defer(() => ran.push(name), 100);
    await nextTurn();
    expect(ran).toEqual(['a', 'b']);
    await nextTurn();
    expect(ran).toEqual(['a', 'b', 'c', 'd']);
    expect(queue.pending).toBe(0);
  });

  test('work larger than a whole batch runs at once, as without a queue', () => {
    const queue = new TurnQueue(() => undefined, 250);
    const ran: string[] = [];
    queue.defer(() => ran.push('small'), 100);
    queue.defer(() => ran.push('large'), 1000);
    expect(ran).toEqual(['large']);
    expect(queue.pending).toBe(1);
  });

  test('work that throws is reported, and the rest of the batch still runs', async () => {
    const errors: unknown[] = [];
    const queue = new TurnQueue((err) => errors.push(err));
    const ran: number[] = [];
    queue.defer(() => ran.push(1));
    queue.defer(() => {
      throw new Error('boom');
    });
    queue.defer(() => ran.push(3));
    await nextTurn();
    expect(ran).toEqual([1, 3]);
    expect(errors).toEqual([new Error('boom')]);
  });
});

describe('hook calls answered in one batch', () => {
  let service: TestService;
  let server: Server;
  let port: number;
  beforeAll(async () => {
    service = await testService();
    server = createServer(preshape(service.app));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await service.close();
  });

  // Kept-alive connections: once open, a request is written to its socket at once, so that all of a round's
  // requests reach the service in one turn of its loop.
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  afterAll(() => {
    agent.destroy();
  });
  const post = (path: string, body: string): Promise<{ status: number; body: CdsResponse }> =>
    new Promise((resolve, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port, path, method: 'POST', agent, headers: { 'content-type': 'application/json' } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as CdsResponse });
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });

  test('32 calls for three patients sent at once each get their own patient’s cards', async () => {
    const now = new Date();
    const scenarios = [
      'radiographs-first-pain-better-by-1-point',
      'avoid-opioids-tramadol-for-hip-oa',
      'acetaminophen-max-dose-2-tablets-every-4-hours',
    ].map((name) => loadScenario(name, now));
    const round = (): { expected: readonly string[]; answer: Promise<{ status: number; body: CdsResponse }> }[] =>
      Array.from({ length: 32 }, (_, i) => {
        const s = scenarios[i % scenarios.length] as (typeof scenarios)[number];
        const body = JSON.stringify(scenarioRequest(s, service.registry, { prefetch: 'full' }));
        return { expected: s.expect.topics, answer: post(`/cds-services/${SERVICE_FOR_HOOK[s.hook]}`, body) };
      });
    await Promise.all(round().map((c) => c.answer)); // opens the 32 connections
    const batches: number[] = [];
    // The queue's own runQueued, called by the spy after it has counted the batch.
    const runQueued = Object.getOwnPropertyDescriptor(TurnQueue.prototype, 'runQueued')?.value as (this: TurnQueue) => void;
    const spy = jest.spyOn(TurnQueue.prototype, 'runQueued').mockImplementation(function (this: TurnQueue) {
      batches.push(this.pending);
      runQueued.call(this);
    });
    const calls = round();
    await Promise.all(calls.map((c) => c.answer));
    spy.mockRestore();
    // The round was answered in batches, not one call per turn.
    expect(batches.reduce((a, b) => a + b, 0)).toBe(32);
    expect(Math.max(...batches)).toBeGreaterThan(1);
    for (const { expected, answer } of calls) {
      const { status, body } = await answer;
      expect(status).toBe(200);
      expect(body.cards.map((c) => c.source.topic?.code).sort()).toEqual([...expected].sort());
    }
    // Every card is its own: no uuid is shared between the answers of one batch.
    const uuids = (await Promise.all(calls.map((c) => c.answer))).flatMap((a) => a.body.cards.map((c) => c.uuid));
    expect(new Set(uuids).size).toBe(uuids.length);
  });
});
