import { jwtVerify, SignJWT, createLocalJWKSet } from 'jose';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { localKeySet } from '../../src/security/jwks.js';
import { cds, type Answer } from '../helpers/cds-client.js';
import { testService, type TestService } from '../helpers/service.js';
import {
  authFailureLogged,
  makeKey,
  signToken,
  startJwksServer,
  writeIssuersFile,
  type JwksServer,
  type TestKey,
} from './support.js';

/**
 * The JWK Set cache against a real JWKS server on 127.0.0.1: keys are fetched once and cached, an unknown kid
 * refreshes the set at most once per JWKS_MIN_REFRESH_MS (a flood of made-up kids does not make one fetch per
 * request: the server's request count is asserted), a failing JWKS endpoint is not hammered either, a set
 * older than JWKS_MAX_AGE_MS is fetched again (so a removed key stops working), and redirects, oversized sets
 * and slow servers are refused.
 */

const BASE = 'https://cds.example.test';
const ISS = 'https://ehr.example.test';
const AUD = `${BASE}/cds-services`;

const services: TestService[] = [];
const servers: JwksServer[] = [];
afterAll(async () => {
  for (const s of services) await s.close();
  for (const s of servers) await s.close();
});

async function setup(
  keys: TestKey[],
  env: Record<string, string>,
  path = '/jwks.json',
): Promise<{ jwks: JwksServer; service: TestService }> {
  const jwks = await startJwksServer(keys.map((k) => k.jwk));
  servers.push(jwks);
  const file = writeIssuersFile([{ iss: ISS, jwksUrl: jwks.jwksUrl(path), fhirServers: [] }]);
  const service = await testService({
    TRUSTED_ISSUERS_FILE: file,
    PUBLIC_BASE_URL: BASE,
    RATE_LIMIT_PER_ADDRESS: '0',
    RATE_LIMIT_PER_ISSUER: '0',
    ...env,
  });
  services.push(service);
  return { jwks, service };
}

async function discover(service: TestService, key: TestKey, kid = key.kid): Promise<Answer> {
  const token = await signToken({ key, iss: ISS, aud: AUD, header: { kid } });
  return cds(service.app).get('/cds-services', { authorization: `Bearer ${token}` });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let k1: TestKey;
let k2: TestKey;
beforeAll(async () => {
  [k1, k2] = await Promise.all([makeKey('ES256', 'k1'), makeKey('RS384', 'k2')]);
});

test('keys are fetched once and cached', async () => {
  const { jwks, service } = await setup([k1], { JWKS_MIN_REFRESH_MS: '60000' });
  for (let i = 0; i < 5; i++) expect((await discover(service, k1)).status).toBe(200);
  expect(jwks.hitsTo('/jwks.json')).toBe(1);
  const fetched = service.logs.lines().filter((l) => l['msg'] === 'JWK Set fetched');
  expect(fetched).toEqual([expect.objectContaining({ jwksUrl: jwks.jwksUrl(), keys: 1 })]);
});

test('a flood of unknown kids makes no extra fetch within JWKS_MIN_REFRESH_MS (sequential and concurrent)', async () => {
  const { jwks, service } = await setup([k1], { JWKS_MIN_REFRESH_MS: '60000' });
  expect((await discover(service, k1)).status).toBe(200);
  expect(jwks.hitsTo('/jwks.json')).toBe(1);
  for (let i = 0; i < 25; i++) {
    const res = await discover(service, k1, `made-up-${i}`);
    expect(res.status).toBe(401);
    expect(authFailureLogged(service, res)).toEqual({ authFailure: 'unknown-kid', iss: ISS });
  }
  const burst = await Promise.all(Array.from({ length: 25 }, (_, i) => discover(service, k1, `burst-${i}`)));
  expect(burst.map((r) => r.status)).toEqual(new Array(25).fill(401));
  expect(jwks.hitsTo('/jwks.json')).toBe(1);
  // The real key still works.
  expect((await discover(service, k1)).status).toBe(200);
});

test('a cold cache hit by many requests at once makes one fetch', async () => {
  const { jwks, service } = await setup([k1], { JWKS_MIN_REFRESH_MS: '60000' });
  const answers = await Promise.all(
    Array.from({ length: 20 }, (_, i) => discover(service, k1, i % 2 === 0 ? 'k1' : `nope-${i}`)),
  );
  expect(answers.filter((a) => a.status === 200)).toHaveLength(10);
  expect(jwks.hitsTo('/jwks.json')).toBe(1);
});

test('key rotation: a new kid is picked up by one refresh once JWKS_MIN_REFRESH_MS has passed', async () => {
  const { jwks, service } = await setup([k1], { JWKS_MIN_REFRESH_MS: '1000' });
  expect((await discover(service, k1)).status).toBe(200);
  jwks.setKeys('/jwks.json', [k1.jwk, k2.jwk]);
  const tooSoon = await discover(service, k2);
  expect(tooSoon.status).toBe(401);
  expect(authFailureLogged(service, tooSoon)).toEqual({ authFailure: 'unknown-kid', iss: ISS });
  expect(jwks.hitsTo('/jwks.json')).toBe(1);
  await sleep(1050);
  expect((await discover(service, k2)).status).toBe(200);
  expect((await discover(service, k1)).status).toBe(200);
  expect(jwks.hitsTo('/jwks.json')).toBe(2);
});

test('a key removed from the set stops working once the cached set is older than JWKS_MAX_AGE_MS', async () => {
  const { jwks, service } = await setup([k1, k2], { JWKS_MIN_REFRESH_MS: '0', JWKS_MAX_AGE_MS: '1000' });
  expect((await discover(service, k1)).status).toBe(200);
  jwks.setKeys('/jwks.json', [k2.jwk]);
  expect((await discover(service, k1)).status).toBe(200); // still cached
  expect(jwks.hitsTo('/jwks.json')).toBe(1);
  await sleep(1100);
  const revoked = await discover(service, k1);
  expect(revoked.status).toBe(401);
  expect(authFailureLogged(service, revoked)).toEqual({ authFailure: 'unknown-kid', iss: ISS });
  expect((await discover(service, k2)).status).toBe(200);
  expect(jwks.hitsTo('/jwks.json')).toBe(2);
});

test('a failing JWKS endpoint is not hammered: one fetch, then 401 jwks-unavailable without fetching', async () => {
  const { jwks, service } = await setup([k1], { JWKS_MIN_REFRESH_MS: '60000' }, '/down.json');
  jwks.fail('/down.json', 503);
  for (let i = 0; i < 20; i++) {
    const res = await discover(service, k1);
    expect(res.status).toBe(401);
    expect(authFailureLogged(service, res)).toEqual({ authFailure: 'jwks-unavailable', iss: ISS });
  }
  const burst = await Promise.all(Array.from({ length: 20 }, () => discover(service, k1)));
  expect(burst.every((r) => r.status === 401)).toBe(true);
  expect(jwks.hitsTo('/down.json')).toBe(1);
  expect(service.logs.lines().filter((l) => l['msg'] === 'JWK Set fetch failed')).toEqual([
    expect.objectContaining({ jwksUrl: jwks.jwksUrl('/down.json'), error: `JWKS ${jwks.jwksUrl('/down.json')} answered 503` }),
  ]);
});

test('after a failure the JWKS is tried again (failure back-off is min(JWKS_MIN_REFRESH_MS, 5 s))', async () => {
  const { jwks, service } = await setup([k1], { JWKS_MIN_REFRESH_MS: '1000' }, '/flaky.json');
  jwks.fail('/flaky.json', 500);
  expect((await discover(service, k1)).status).toBe(401);
  jwks.setKeys('/flaky.json', [k1.jwk]);
  expect((await discover(service, k1)).status).toBe(401); // within the back-off: no fetch
  expect(jwks.hitsTo('/flaky.json')).toBe(1);
  await sleep(1050);
  expect((await discover(service, k1)).status).toBe(200);
  expect(jwks.hitsTo('/flaky.json')).toBe(2);
});

test('a JWKS URL that redirects is not followed', async () => {
  const { jwks, service } = await setup([k1], {}, '/redirect.json');
  const res = await discover(service, k1);
  expect(res.status).toBe(401);
  expect(authFailureLogged(service, res)).toEqual({ authFailure: 'jwks-unavailable', iss: ISS });
  expect(jwks.hitsTo('/redirect.json')).toBe(1);
  expect(jwks.hitsTo('/jwks.json')).toBe(0);
});

test('a JWK Set larger than 64 KiB is refused', async () => {
  const { service } = await setup([k1], {}, '/huge.json');
  const res = await discover(service, k1);
  expect(authFailureLogged(service, res)).toEqual({ authFailure: 'jwks-unavailable', iss: ISS });
  expect(service.logs.text()).toContain('is larger than 65536 bytes');
});

test('a JWKS server that does not answer is given up after JWKS_TIMEOUT_MS', async () => {
  const sockets = new Set<import('node:net').Socket>();
  const slow = createServer(() => undefined);
  slow.on('connection', (s) => sockets.add(s));
  await new Promise<void>((r) =>
    slow.listen(0, '127.0.0.1', () => {
      r();
    }),
  );
  try {
    const url = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/jwks.json`;
    const file = writeIssuersFile([{ iss: ISS, jwksUrl: url, fhirServers: [] }]);
    const service = await testService({ TRUSTED_ISSUERS_FILE: file, PUBLIC_BASE_URL: BASE, JWKS_TIMEOUT_MS: '200' });
    services.push(service);
    const started = Date.now();
    const res = await discover(service, k1);
    expect(res.status).toBe(401);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(authFailureLogged(service, res)).toEqual({ authFailure: 'jwks-unavailable', iss: ISS });
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) =>
      slow.close(() => {
        r();
      }),
    );
  }
});

test('an allowlisted jku has its own cache entry; the issuer jwksUrl is not used for it', async () => {
  const jwks = await startJwksServer([k1.jwk]);
  servers.push(jwks);
  jwks.setKeys('/jku.json', [k2.jwk]);
  const file = writeIssuersFile([
    { iss: ISS, jwksUrl: jwks.jwksUrl(), allowedJku: [jwks.jwksUrl('/jku.json')], fhirServers: [] },
  ]);
  const service = await testService({ TRUSTED_ISSUERS_FILE: file, PUBLIC_BASE_URL: BASE });
  services.push(service);
  const viaJku = await signToken({ key: k2, iss: ISS, aud: AUD, header: { jku: jwks.jwksUrl('/jku.json') } });
  expect((await cds(service.app).get('/cds-services', { authorization: `Bearer ${viaJku}` })).status).toBe(200);
  expect(jwks.hitsTo('/jku.json')).toBe(1);
  expect(jwks.hitsTo('/jwks.json')).toBe(0);
  // k1 is not in the jku set: naming that jku with k1 fails even though k1 is in the issuer's jwksUrl set.
  const wrongSet = await signToken({ key: k1, iss: ISS, aud: AUD, header: { jku: jwks.jwksUrl('/jku.json') } });
  const res = await cds(service.app).get('/cds-services', { authorization: `Bearer ${wrongSet}` });
  expect(authFailureLogged(service, res)).toEqual({ authFailure: 'unknown-kid', iss: ISS });
});

describe('localKeySet: only public asymmetric keys can verify', () => {
  test('symmetric (oct) and private keys in a fetched set are dropped', () => {
    const priv = { ...k1.jwk, kid: 'private', d: 'AAAA' };
    const oct = { kty: 'oct', kid: 'hmac', k: Buffer.from('secret').toString('base64url'), alg: 'HS256' };
    const set = localKeySet({ keys: [k1.jwk, k2.jwk, priv, oct] });
    expect([...set.kids].sort()).toEqual(['k1', 'k2']);
  });

  test('an HS256 token over an oct key with that kid cannot be verified through the set', async () => {
    const secret = Buffer.from('shared-secret-shared-secret-32by');
    const oct = { kty: 'oct', kid: 'hmac', k: secret.toString('base64url') };
    const token = await new SignJWT({ iss: ISS }).setProtectedHeader({ alg: 'HS256', kid: 'hmac' }).sign(secret);
    // Two locks: jose refuses secret algorithms for a JWK Set, and the filtered set has no such key at all.
    await expect(jwtVerify(token, createLocalJWKSet({ keys: [oct] }))).rejects.toThrow(
      'Unsupported "alg" value for a JSON Web Key Set',
    );
    await expect(jwtVerify(token, localKeySet({ keys: [oct, k1.jwk] }).getKey, { algorithms: ['ES256'] })).rejects.toThrow();
    expect(localKeySet({ keys: [oct] }).kids.size).toBe(0);
  });
});

test('jose 6 does not check that iat is in the past unless maxTokenAge is given: the service checks it itself', async () => {
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({ iat: now + 3600, exp: now + 7200, jti: randomUUID() })
    .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
    .sign(k1.privateKey);
  await expect(jwtVerify(token, k1.publicKey)).resolves.toBeDefined();
  await expect(jwtVerify(token, k1.publicKey, { maxTokenAge: 3600 })).rejects.toThrow('"iat" claim timestamp check failed');
});
