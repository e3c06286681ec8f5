import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { preshape, REQUEST_FIELDS, RESPONSE_FIELDS } from '../../src/http/preshape.js';
import { validOrderSelect, validPatientView } from '../helpers/requests.js';
import { testService, type TestService } from '../helpers/service.js';

/**
 * The request listener of `npm start` gives requests and responses their properties before Express changes their
 * prototypes (src/http/preshape.ts). Two things must hold: the list is complete (a hook call adds no property of
 * its own afterwards, else that request gets a hidden class of its own again), and nothing reads differently.
 */
describe('requests and responses keep one shape', () => {
  let service: TestService;
  let base: string;
  let close: () => Promise<void>;
  const added = { req: new Set<string>(), res: new Set<string>() };
  const given: boolean[] = [];
  const before: { req: Record<string, unknown>; res: Record<string, unknown> }[] = [];

  beforeAll(async () => {
    service = await testService();
    const listener = preshape((req: IncomingMessage, res: ServerResponse) => {
      given.push(
        Object.keys(REQUEST_FIELDS).every((k) => Object.hasOwn(req, k)) &&
          Object.keys(RESPONSE_FIELDS).every((k) => Object.hasOwn(res, k)),
      );
      const reqKeys = new Set(Object.keys(req));
      const resKeys = new Set(Object.keys(res));
      res.once('close', () => {
        for (const k of Object.keys(req)) if (!reqKeys.has(k)) added.req.add(k);
        for (const k of Object.keys(res)) if (!resKeys.has(k)) added.res.add(k);
      });
      service.app(req, res);
    });
    const server = createServer((req, res) => {
      // What each field reads before the listener gives it: the value it is given must be the same.
      before.push({
        req: Object.fromEntries(Object.keys(REQUEST_FIELDS).map((k) => [k, Reflect.get(req, k)])),
        res: Object.fromEntries(Object.keys(RESPONSE_FIELDS).map((k) => [k, Reflect.get(res, k)])),
      });
      listener(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () =>
      new Promise((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
  });
  afterAll(async () => {
    await close();
    await service.close();
  });

  test('a hook call, discovery, feedback and an error add no property the listener did not give', async () => {
    const post = (path: string, body: unknown): Promise<Response> =>
      fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const view = await post('/cds-services/hip-pain-patient-view', validPatientView(service.registry));
    const { cards } = (await view.json()) as { cards: { uuid: string }[] };
    expect(cards.length).toBeGreaterThan(0);
    const answers = [
      view,
      await post('/cds-services/hip-pain-order-select', validOrderSelect(service.registry)),
      await post('/cds-services/hip-pain-patient-view/feedback', {
        feedback: [{ card: cards[0]?.uuid, outcome: 'overridden', outcomeTimestamp: new Date().toISOString() }],
      }),
      await post('/cds-services/no-such-service', {}),
      await fetch(`${base}/cds-services`),
      await fetch(`${base}/healthz`),
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 404, 200, 200]);
    await Promise.all(answers.slice(1).map((a) => a.text()));
    await new Promise((r) => setTimeout(r, 20));
    expect([...added.req]).toEqual([]);
    expect([...added.res]).toEqual([]);
  });

  test('each field is given, with the value reading it gave before', () => {
    expect(before.length).toBeGreaterThan(0);
    expect(given).toEqual(before.map(() => true));
    for (const b of before) {
      expect(b.req).toEqual(REQUEST_FIELDS);
      expect(b.res).toEqual(RESPONSE_FIELDS);
    }
  });
});
