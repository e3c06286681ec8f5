import express, { type Request, type Response } from 'express';
import type { AddressInfo } from 'node:net';
import { logOf, startRequest } from '../../src/http/request-context.js';
import { isoTime } from '../../src/log.js';
import { captureLogs } from '../helpers/log-capture.js';

/** req.log: the request's logger, bound to its id, made on first use from a getter on Express's request prototype. */
describe('the request logger', () => {
  test("each request's lines carry its own id; the access line is written once per request", async () => {
    const { log, lines } = captureLogs('info');
    const app = express();
    app.post('/x', (req: Request, res: Response) => {
      startRequest(req, res, log);
      expect(Object.getOwnPropertyDescriptor(req, 'log')).toBeUndefined(); // not a per-request property
      req.log.info({ n: 1 }, 'inside');
      expect(req.log).toBe(req.log); // made once
      res.end('ok');
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const { port } = server.address() as AddressInfo;
    try {
      for (const id of ['first-id', 'second-id'])
        await fetch(`http://127.0.0.1:${port}/x`, { method: 'POST', headers: { 'x-request-id': id } });
      await new Promise((r) => setTimeout(r, 20));
    } finally {
      server.close();
    }
    const inside = lines().filter((l) => l['msg'] === 'inside');
    expect(inside.map((l) => l['reqId'])).toEqual(['first-id', 'second-id']);
    expect(
      lines()
        .filter((l) => l['msg'] === 'request')
        .map((l) => l['reqId']),
    ).toEqual(['first-id', 'second-id']);
  });

  test('a request that is not an Express request gets the getter itself; Object.prototype is never touched', () => {
    const { log, lines } = captureLogs('info');
    const headers: Record<string, string> = { 'x-request-id': 'plain-1' };
    const req = { headers, path: '/p', method: 'GET' } as unknown as Request;
    const res = { setHeader: () => undefined, on: () => undefined } as unknown as Response;
    startRequest(req, res, log);
    req.log.info('plain');
    expect(lines()[0]?.['reqId']).toBe('plain-1');
    expect(Object.getOwnPropertyDescriptor(Object.prototype, 'log')).toBeUndefined();
    expect(({} as { log?: unknown }).log).toBeUndefined();
  });

  test('before startRequest ran, an error is logged with the fallback logger', () => {
    const { log } = captureLogs('info');
    const req = { headers: {} } as unknown as Request;
    expect(logOf(req, log)).toBe(log);
  });
});

describe('the time of a log line', () => {
  test("is pino's ISO time, to the millisecond", () => {
    const before = Date.now();
    const time = isoTime();
    const after = Date.now();
    const m = /^,"time":"(.+)"$/.exec(time);
    expect(m).not.toBeNull();
    const t = Date.parse(m?.[1] ?? '');
    expect(t).toBeGreaterThanOrEqual(before);
    expect(t).toBeLessThanOrEqual(after);
    expect(m?.[1]).toBe(new Date(t).toISOString());
  });
});
