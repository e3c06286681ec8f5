import { connect } from 'node:net';
import { loadServiceConfig } from '../../src/config/service-config.js';
import { addressKey, RateLimiter } from '../../src/http/rate-limit.js';
import { startServer } from '../../src/server.js';
import { cds } from '../helpers/cds-client.js';
import { validPatientView } from '../helpers/requests.js';
import { testService } from '../helpers/service.js';
import { makeKey, signToken, startFhirServer, writeIssuersFile, type TestKey } from './support.js';

/**
 * Per-address and per-issuer rate limits (RATE_LIMIT_PER_ADDRESS / RATE_LIMIT_PER_ISSUER -> 429 with
 * Retry-After), the whole-request time-out (REQUEST_TIMEOUT_MS -> 503), and the header size limit of the real
 * HTTP server (MAX_HEADER_BYTES -> 431), all as OperationOutcome.
 */

describe('rate limits', () => {
  test('per address: the request after RATE_LIMIT_PER_ADDRESS answers 429 with Retry-After', async () => {
    const service = await testService({ RATE_LIMIT_PER_ADDRESS: '3' });
    try {
      for (let i = 0; i < 3; i++) expect((await cds(service.app).get('/cds-services')).status).toBe(200);
      const res = await cds(service.app).get('/cds-services');
      expect(res.status).toBe(429);
      expect(res.body).toEqual({
        resourceType: 'OperationOutcome',
        issue: [{ severity: 'error', code: 'throttled', diagnostics: 'too many requests from this address; retry later' }],
      });
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(59);
      expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
      expect(service.logs.lines().filter((l) => l['msg'] === 'rate limited')).toEqual([
        expect.objectContaining({ level: 'warn', limit: 'address', reqId: res.headers['x-request-id'] }),
      ]);
    } finally {
      await service.close();
    }
  });

  test('per address behind a trusted proxy: X-Forwarded-For decides the address', async () => {
    const service = await testService({ RATE_LIMIT_PER_ADDRESS: '2', TRUST_PROXY: 'loopback' });
    try {
      const from = (ip: string) => cds(service.app).get('/cds-services', { 'x-forwarded-for': ip });
      expect((await from('203.0.113.1')).status).toBe(200);
      expect((await from('203.0.113.1')).status).toBe(200);
      expect((await from('203.0.113.1')).status).toBe(429);
      expect((await from('203.0.113.2')).status).toBe(200);
    } finally {
      await service.close();
    }
  });

  test('per issuer: the request after RATE_LIMIT_PER_ISSUER answers 429; another issuer is not affected', async () => {
    const [a, b]: [TestKey, TestKey] = await Promise.all([makeKey('ES256', 'a'), makeKey('ES256', 'b')]);
    const file = writeIssuersFile([
      { iss: 'https://a.example', jwks: { keys: [a.jwk] }, fhirServers: [] },
      { iss: 'https://b.example', jwks: { keys: [b.jwk] }, fhirServers: [] },
    ]);
    const service = await testService({
      TRUSTED_ISSUERS_FILE: file,
      PUBLIC_BASE_URL: 'https://cds.example.test',
      RATE_LIMIT_PER_ISSUER: '2',
      RATE_LIMIT_PER_ADDRESS: '0',
    });
    try {
      const aud = 'https://cds.example.test/cds-services';
      const asA = async () =>
        cds(service.app).get('/cds-services', {
          authorization: `Bearer ${await signToken({ key: a, iss: 'https://a.example', aud })}`,
        });
      expect((await asA()).status).toBe(200);
      // Failed authentications do not count against the issuer.
      const forged = await signToken({ key: a, iss: 'https://a.example', aud, signWith: b.privateKey });
      expect((await cds(service.app).get('/cds-services', { authorization: `Bearer ${forged}` })).status).toBe(401);
      expect((await asA()).status).toBe(200);
      const limited = await asA();
      expect(limited.status).toBe(429);
      expect(limited.body).toEqual({
        resourceType: 'OperationOutcome',
        issue: [{ severity: 'error', code: 'throttled', diagnostics: 'too many requests for this client; retry later' }],
      });
      expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(59);
      const line = service.logs.lines().find((l) => l['msg'] === 'rate limited');
      expect(line).toMatchObject({ limit: 'issuer', iss: 'https://a.example' });
      const asB = await cds(service.app).get('/cds-services', {
        authorization: `Bearer ${await signToken({ key: b, iss: 'https://b.example', aud })}`,
      });
      expect(asB.status).toBe(200);
    } finally {
      await service.close();
    }
  });

  test.each([
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::ffff', '2001:db8:1:2::/64'],
    ['[2001:DB8:1:2::1]', '2001:db8:1:2::/64'],
    ['::1', '0:0:0:0::/64'],
    ['unknown', 'unknown'],
  ])('addressKey(%s) = %s (IPv6 clients are limited per /64)', (ip, key) => {
    expect(addressKey(ip)).toBe(key);
  });

  test('RateLimiter: each key has its own one-minute window; 0 means no limit; ended windows are swept', () => {
    let t = 1_000_000;
    const limiter = new RateLimiter(2, () => t);
    expect([limiter.take('x'), limiter.take('x'), limiter.take('x')]).toEqual([0, 0, 60]);
    t += 30_000;
    expect(limiter.take('x')).toBe(30);
    expect(limiter.take('y')).toBe(0);
    t += 30_000; // x's window has ended, y's has not
    expect(limiter.take('x')).toBe(0);
    expect(limiter.take('y')).toBe(0);
    expect(limiter.take('y')).toBe(30);
    t += 120_000;
    limiter.take('z');
    expect(limiter.size).toBe(1);
    const off = new RateLimiter(0);
    for (let i = 0; i < 1000; i++) expect(off.take('x')).toBe(0);
  });
});

describe('request time-out', () => {
  test('a call still waiting for a FHIR server after REQUEST_TIMEOUT_MS answers 503', async () => {
    const fhir = await startFhirServer({ id: 'slow', family: 'Slow', given: 'S' });
    fhir.mode = { kind: 'hang' };
    const service = await testService({ REQUEST_TIMEOUT_MS: '300', FHIR_TIMEOUT_MS: '5000', RATE_LIMIT_PER_ADDRESS: '0' });
    try {
      const body = validPatientView(service.registry);
      delete body.prefetch;
      body.fhirServer = `${fhir.url}/fhir`;
      body.fhirAuthorization = { access_token: 't', token_type: 'Bearer', expires_in: 300, scope: 'user/*.read', subject: 'cds' };
      const started = Date.now();
      const res = await cds(service.app).post('/cds-services/hip-pain-patient-view', body);
      const took = Date.now() - started;
      expect(res.status).toBe(503);
      expect(res.body).toEqual({
        resourceType: 'OperationOutcome',
        issue: [{ severity: 'error', code: 'timeout', diagnostics: 'the service could not answer within 300 ms' }],
      });
      expect(took).toBeGreaterThanOrEqual(290);
      expect(took).toBeLessThan(2000);
      expect(fhir.hits.length).toBeGreaterThan(0);
      expect(service.logs.lines().find((l) => l['msg'] === 'request timed out')).toMatchObject({ level: 'warn', timeoutMs: 300 });
      // The time-out stops the work too: every query still open at the FHIR server is aborted, long before
      // FHIR_TIMEOUT_MS, and nothing new is sent.
      const until = Date.now() + 1000;
      while (fhir.abandoned() < fhir.hits.length && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      expect(fhir.abandoned()).toBe(fhir.hits.length);
      const sent = fhir.hits.length;
      await new Promise((r) => setTimeout(r, 200));
      expect(fhir.hits.length).toBe(sent);
    } finally {
      await fhir.close();
      await service.close();
    }
  });
});

describe('the HTTP server (src/server.ts startServer)', () => {
  /** Sends raw bytes and reads the whole answer until the server closes the connection. */
  function raw(port: number, text: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.write(text));
      let data = '';
      socket.on('data', (d: Buffer) => (data += d.toString('utf8')));
      socket.on('end', () => {
        resolve(data);
      });
      socket.on('close', () => {
        resolve(data);
      });
      socket.on('error', reject);
      socket.setTimeout(5000, () => socket.destroy());
    });
  }

  test('headers over MAX_HEADER_BYTES answer 431 with an OperationOutcome; the limits are set on the server', async () => {
    const config = loadServiceConfig({
      NODE_ENV: 'test',
      PORT: '0',
      HOST: '127.0.0.1',
      FEEDBACK_STORE: 'memory',
      LOG_LEVEL: 'silent',
      MAX_HEADER_BYTES: '2048',
      REQUEST_TIMEOUT_MS: '4000',
      HEADERS_TIMEOUT_MS: '3000',
      KEEP_ALIVE_TIMEOUT_MS: '1500',
    });
    const { server, close } = await startServer(config);
    try {
      const port = (server.address() as { port: number }).port;
      expect([server.requestTimeout, server.headersTimeout, server.keepAliveTimeout]).toEqual([4000, 3000, 1500]);
      const ok = await raw(port, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(1000)}\r\nConnection: close\r\n\r\n`);
      expect(ok.split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
      const big = await raw(port, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(4000)}\r\n\r\n`);
      const [head, bodyText] = big.split('\r\n\r\n');
      expect(head?.split('\r\n')[0]).toBe('HTTP/1.1 431 Request Header Fields Too Large');
      expect(head).toContain('Content-Type: application/fhir+json');
      expect(JSON.parse(bodyText ?? '')).toEqual({
        resourceType: 'OperationOutcome',
        issue: [{ severity: 'error', code: 'too-long', diagnostics: 'malformed HTTP request' }],
      });
      // Many headers that together pass the limit count too.
      const many = Array.from({ length: 60 }, (_, i) => `X-H${i}: ${'b'.repeat(40)}`).join('\r\n');
      expect((await raw(port, `GET /healthz HTTP/1.1\r\nHost: x\r\n${many}\r\n\r\n`)).split('\r\n')[0]).toBe(
        'HTTP/1.1 431 Request Header Fields Too Large',
      );
    } finally {
      await close();
    }
  });
});
