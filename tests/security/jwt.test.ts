import { randomUUID } from 'node:crypto';
import { cds, type Answer } from '../helpers/cds-client.js';
import { validPatientView } from '../helpers/requests.js';
import { testService, type TestService } from '../helpers/service.js';
import {
  fhirServerForbidden,
  authFailureLogged,
  hmacWithPublicKey,
  LOGIN_INVALID,
  LOGIN_MISSING,
  makeKey,
  nowSeconds,
  signToken,
  startFhirServer,
  startJwksServer,
  unsignedToken,
  withPayload,
  writeIssuersFile,
  WWW_INVALID,
  WWW_MISSING,
  type FhirServerControl,
  type JwksServer,
  type TestKey,
  type TokenSpec,
} from './support.js';

/**
 * JWT authentication end to end: the real service (TRUSTED_ISSUERS_FILE written to a temp folder), a real JWKS
 * server on 127.0.0.1, keys made at run time. Every attack gets its exact answer: 401, the same
 * OperationOutcome (code `login`, nothing that helps an attacker), WWW-Authenticate, and a log line with the
 * reason.
 */

const BASE = 'https://cds.example.test';
const SERVICE = '/cds-services/hip-pain-patient-view';
const AUD = `${BASE}${SERVICE}`;
const A = 'https://ehr-a.example.test';
const B = 'https://ehr-b.example.test';

let jwks: JwksServer;
let fhir: FhirServerControl;
let service: TestService;
let keyA: TestKey; // ES384, published at issuer A's jwksUrl
let keyA2: TestKey; // PS256, published at an allowlisted jku of issuer A
let keyB: TestKey; // RS384, given out of band for issuer B (tenants, RS384 only)
let keyB256: TestKey; // RS256, also out of band for B, but B allows RS384 only
let attacker: TestKey; // ES384 with issuer A's kid: not A's key

beforeAll(async () => {
  [keyA, keyA2, keyB, keyB256, attacker] = await Promise.all([
    makeKey('ES384', 'a-es384'),
    makeKey('PS256', 'a-ps256'),
    makeKey('RS384', 'b-rs384'),
    makeKey('RS256', 'b-rs256'),
    makeKey('ES384', 'a-es384'),
  ]);
  jwks = await startJwksServer([keyA.jwk]);
  jwks.setKeys('/rotated.json', [keyA2.jwk]);
  jwks.setKeys('/evil.json', [attacker.jwk]);
  fhir = await startFhirServer({ id: 'pat-jwt-1', family: 'Jwtson', given: 'Ada' });
  const file = writeIssuersFile([
    { iss: A, jwksUrl: jwks.jwksUrl(), allowedJku: [jwks.jwksUrl('/rotated.json')], fhirServers: [`${fhir.url}/fhir`] },
    {
      iss: B,
      jwks: { keys: [keyB.jwk, keyB256.jwk] },
      algorithms: ['RS384'],
      tenants: ['hospital-b'],
      fhirServers: [`${fhir.url}/fhir-b`],
    },
  ]);
  service = await testService({
    TRUSTED_ISSUERS_FILE: file,
    PUBLIC_BASE_URL: BASE,
    RATE_LIMIT_PER_ADDRESS: '0',
    RATE_LIMIT_PER_ISSUER: '0',
    JWKS_MIN_REFRESH_MS: '60000',
  });
});
afterAll(async () => {
  await service.close();
  await jwks.close();
  await fhir.close();
});

const tokenA = (over: Partial<TokenSpec> = {}): Promise<string> => signToken({ key: keyA, iss: A, aud: AUD, ...over });
const tokenB = (over: Partial<TokenSpec> = {}): Promise<string> =>
  signToken({ key: keyB, iss: B, aud: AUD, claims: { tenant: 'hospital-b' }, ...over });

async function call(authorization: string | undefined, path = SERVICE, headers: Record<string, string> = {}): Promise<Answer> {
  const h = { ...headers, ...(authorization !== undefined ? { authorization } : {}) };
  if (path === '/cds-services') return cds(service.app).get(path, h);
  return cds(service.app).post(path, validPatientView(service.registry), h);
}

describe('valid tokens pass on every endpoint', () => {
  test('discovery, a service and feedback, each with a token for its own URL', async () => {
    const discovery = await call(`Bearer ${await tokenA({ aud: `${BASE}/cds-services` })}`, '/cds-services');
    expect(discovery.status).toBe(200);
    const hook = await call(`Bearer ${await tokenA()}`);
    expect(hook.status).toBe(200);
    const card = (hook.body as { cards: { uuid: string }[] }).cards[0];
    expect(card).toBeDefined();
    const feedbackPath = `${SERVICE}/feedback`;
    const feedback = await cds(service.app).post(
      feedbackPath,
      { feedback: [{ card: card?.uuid, outcome: 'overridden', outcomeTimestamp: new Date().toISOString() }] },
      { authorization: `Bearer ${await tokenA({ aud: `${BASE}${feedbackPath}` })}` },
    );
    expect(feedback.status).toBe(200);
    expect(feedback.body).toEqual({ received: 1, created: 1, duplicates: 0 });
  });

  test('every algorithm family: ES384 (jwksUrl), PS256 (allowlisted jku), RS384 (out-of-band key, tenant)', async () => {
    expect((await call(`Bearer ${await tokenA()}`)).status).toBe(200);
    const viaJku = await signToken({ key: keyA2, iss: A, aud: AUD, header: { jku: jwks.jwksUrl('/rotated.json') } });
    expect((await call(`Bearer ${viaJku}`)).status).toBe(200);
    expect((await call(`Bearer ${await tokenB()}`)).status).toBe(200);
  });

  test('aud as an array holding the URL called; trailing slash and host case do not matter', async () => {
    expect((await call(`Bearer ${await tokenA({ aud: ['https://other.example/x', AUD] })}`)).status).toBe(200);
    expect((await call(`Bearer ${await tokenA({ aud: `https://CDS.example.test${SERVICE}/` })}`)).status).toBe(200);
  });

  test('typ "application/jwt" is the same as "JWT"; the scheme name is case-insensitive', async () => {
    expect((await call(`Bearer ${await tokenA({ header: { typ: 'application/jwt' } })}`)).status).toBe(200);
    expect((await call(`bearer ${await tokenA()}`)).status).toBe(200);
  });

  test('clock skew (30 s): iat 10 s ahead and exp 10 s ago are still accepted', async () => {
    const now = nowSeconds();
    expect((await call(`Bearer ${await tokenA({ claims: { iat: now + 10, exp: now + 300 } })}`)).status).toBe(200);
    expect((await call(`Bearer ${await tokenA({ claims: { iat: now - 300, exp: now - 10 } })}`)).status).toBe(200);
  });

  test('a CORS preflight needs no token (browsers never send one), and a 401 is readable by the browser', async () => {
    const pre = await cds(service.app).raw('options', SERVICE, {
      origin: 'https://sandbox.cds-hooks.org',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, content-type',
    });
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-headers']).toContain('Authorization');
    const refused = await cds(service.app).get('/cds-services', { origin: 'https://sandbox.cds-hooks.org' });
    expect(refused.status).toBe(401);
    expect(refused.headers['access-control-allow-origin']).toBe('*');
    expect(refused.headers['access-control-expose-headers']).toContain('WWW-Authenticate');
  });

  test('/healthz needs no token (liveness probes)', async () => {
    expect((await cds(service.app).get('/healthz')).status).toBe(200);
  });
});

interface Attack {
  attack: string;
  authorization: () => Promise<string | undefined>;
  reason: string;
  /** The log names the issuer only when it is a trusted one. */
  iss?: string;
  path?: string;
  headers?: Record<string, string>;
}

const now = nowSeconds;
const ATTACKS: Attack[] = [
  { attack: 'no Authorization header', authorization: () => Promise.resolve(undefined), reason: 'missing' },
  {
    attack: 'token in the query string only',
    authorization: () => Promise.resolve(undefined),
    reason: 'missing',
    path: `${SERVICE}?access_token=x.y.z`,
  },
  { attack: 'Basic scheme', authorization: () => Promise.resolve('Basic dXNlcjpwYXNz'), reason: 'malformed' },
  { attack: 'Bearer with a non-JWT', authorization: () => Promise.resolve('Bearer not-a-jwt'), reason: 'malformed' },
  {
    attack: 'Bearer with a JWE-shaped (5-part) token',
    authorization: () => Promise.resolve('Bearer a.b.c.d.e'),
    reason: 'malformed',
  },
  {
    attack: 'payload not JSON',
    authorization: () => Promise.resolve('Bearer eyJhbGciOiJFUzM4NCJ9.bm90LWpzb24.c2ln'),
    reason: 'malformed',
  },
  {
    attack: 'forged signature (attacker key, trusted kid)',
    authorization: async () => `Bearer ${await tokenA({ signWith: attacker.privateKey })}`,
    reason: 'bad-signature',
    iss: A,
  },
  {
    attack: 'tampered payload (aud changed after signing)',
    authorization: async () => `Bearer ${withPayload(await tokenA({ aud: `${BASE}/cds-services` }), { aud: AUD })}`,
    reason: 'bad-signature',
    iss: A,
  },
  {
    attack: 'alg none (empty signature)',
    authorization: () =>
      Promise.resolve(
        `Bearer ${unsignedToken({ alg: 'none', typ: 'JWT', kid: keyA.kid }, { iss: A, aud: AUD, iat: now(), exp: now() + 300, jti: randomUUID() })}`,
      ),
    reason: 'alg-not-allowed',
    iss: A,
  },
  {
    attack: 'alg "None" (case variant)',
    authorization: () =>
      Promise.resolve(
        `Bearer ${unsignedToken({ alg: 'None', typ: 'JWT', kid: keyA.kid }, { iss: A, aud: AUD, iat: now(), exp: now() + 300, jti: randomUUID() })}`,
      ),
    reason: 'alg-not-allowed',
    iss: A,
  },
  {
    attack: 'HS256 signed with the public key (key confusion)',
    authorization: async () => `Bearer ${await hmacWithPublicKey({ key: keyA, iss: A, aud: AUD })}`,
    reason: 'alg-not-allowed',
    iss: A,
  },
  {
    attack: 'RS256 for an issuer that allows RS384 only',
    authorization: async () => `Bearer ${await tokenB({ key: keyB256 })}`,
    reason: 'alg-not-allowed',
    iss: B,
  },
  {
    attack: 'expired (exp 2 minutes ago)',
    authorization: async () => `Bearer ${await tokenA({ claims: { iat: now() - 420, exp: now() - 120 } })}`,
    reason: 'expired',
    iss: A,
  },
  {
    attack: 'iat in the future (2 minutes)',
    authorization: async () => `Bearer ${await tokenA({ claims: { iat: now() + 120, exp: now() + 420 } })}`,
    reason: 'iat-in-future',
    iss: A,
  },
  {
    attack: 'nbf in the future',
    authorization: async () => `Bearer ${await tokenA({ claims: { nbf: now() + 120 } })}`,
    reason: 'not-yet-valid',
    iss: A,
  },
  {
    attack: 'lifetime longer than JWT_MAX_LIFETIME_SECONDS',
    authorization: async () => `Bearer ${await tokenA({ claims: { iat: now(), exp: now() + 7200 } })}`,
    reason: 'lifetime-too-long',
    iss: A,
  },
  {
    attack: 'wrong aud: another service of ours',
    authorization: async () => `Bearer ${await tokenA({ aud: `${BASE}/cds-services/hip-pain-order-sign` })}`,
    reason: 'wrong-aud',
    iss: A,
  },
  {
    attack: 'wrong aud: discovery token used on a service',
    authorization: async () => `Bearer ${await tokenA({ aud: `${BASE}/cds-services` })}`,
    reason: 'wrong-aud',
    iss: A,
  },
  {
    attack: 'wrong aud: same path on another host',
    authorization: async () => `Bearer ${await tokenA({ aud: `https://other-cds.example${SERVICE}` })}`,
    reason: 'wrong-aud',
    iss: A,
  },
  {
    attack: 'wrong aud: http instead of https',
    authorization: async () => `Bearer ${await tokenA({ aud: `http://cds.example.test${SERVICE}` })}`,
    reason: 'wrong-aud',
    iss: A,
  },
  {
    attack: 'wrong aud made to match a spoofed Host header (PUBLIC_BASE_URL wins)',
    authorization: async () => `Bearer ${await tokenA({ aud: `http://evil.example${SERVICE}` })}`,
    reason: 'wrong-aud',
    iss: A,
    headers: { host: 'evil.example', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'http' },
  },
  {
    attack: 'unknown kid',
    authorization: async () => `Bearer ${await tokenA({ header: { kid: 'no-such-kid' } })}`,
    reason: 'unknown-kid',
    iss: A,
  },
  {
    attack: 'untrusted jku (attacker JWKS on the same host)',
    authorization: async () =>
      `Bearer ${await signToken({ key: attacker, iss: A, aud: AUD, header: { jku: jwks.jwksUrl('/evil.json') } })}`,
    reason: 'untrusted-jku',
    iss: A,
  },
  {
    attack: 'embedded jwk header with the attacker key',
    authorization: async () =>
      `Bearer ${await tokenA({ signWith: attacker.privateKey, header: { jwk: { kty: attacker.jwk.kty, crv: attacker.jwk.crv, x: attacker.jwk.x, y: attacker.jwk.y } } })}`,
    reason: 'bad-signature',
    iss: A,
  },
  {
    attack: 'untrusted iss',
    authorization: async () => `Bearer ${await tokenA({ iss: 'https://attacker.example' })}`,
    reason: 'untrusted-iss',
  },
  {
    attack: 'iss with a trailing slash (not the exact configured string)',
    authorization: async () => `Bearer ${await tokenA({ iss: `${A}/` })}`,
    reason: 'untrusted-iss',
  },
  {
    attack: 'tenant not allowed',
    authorization: async () => `Bearer ${await tokenB({ claims: { tenant: 'hospital-x' } })}`,
    reason: 'tenant-not-allowed',
    iss: B,
  },
  {
    attack: 'tenant missing where the issuer requires one',
    authorization: async () => `Bearer ${await tokenB({ claims: { tenant: undefined } })}`,
    reason: 'tenant-not-allowed',
    iss: B,
  },
  {
    attack: 'no jti',
    authorization: async () => `Bearer ${await tokenA({ claims: { jti: undefined } })}`,
    reason: 'missing-claim',
    iss: A,
  },
  {
    attack: 'no exp',
    authorization: async () => `Bearer ${await tokenA({ claims: { exp: undefined } })}`,
    reason: 'missing-claim',
    iss: A,
  },
  {
    attack: 'no aud',
    authorization: async () => `Bearer ${await tokenA({ aud: undefined as unknown as string })}`,
    reason: 'missing-claim',
    iss: A,
  },
  {
    attack: 'exp as a string',
    authorization: async () => `Bearer ${await tokenA({ claims: { exp: String(now() + 300) } })}`,
    reason: 'bad-claim',
    iss: A,
  },
  { attack: 'no kid', authorization: async () => `Bearer ${await tokenA({ header: { kid: undefined } })}`, reason: 'no-kid' },
  { attack: 'no typ', authorization: async () => `Bearer ${await tokenA({ header: { typ: undefined } })}`, reason: 'typ' },
  {
    attack: 'typ at+jwt (an access token)',
    authorization: async () => `Bearer ${await tokenA({ header: { typ: 'at+jwt' } })}`,
    reason: 'typ',
  },
  {
    attack: 'unknown crit header',
    authorization: async () =>
      `Bearer ${await tokenA({ header: { crit: ['exp-policy'], 'exp-policy': 1 }, crit: { 'exp-policy': true } })}`,
    reason: 'malformed',
    iss: A,
  },
];

describe('attacks: 401, the same OperationOutcome, WWW-Authenticate, and the reason in the log', () => {
  test.each(ATTACKS.map((a) => [a.attack, a] as const))('%s', async (_name, a) => {
    const authorization = await a.authorization();
    const res = await call(authorization, a.path, a.headers);
    expect(res.status).toBe(401);
    expect(res.body).toEqual(a.reason === 'missing' ? LOGIN_MISSING : LOGIN_INVALID);
    expect(res.headers['www-authenticate']).toBe(a.reason === 'missing' ? WWW_MISSING : WWW_INVALID);
    expect(authFailureLogged(service, res)).toEqual({ authFailure: a.reason, ...(a.iss !== undefined ? { iss: a.iss } : {}) });
    if (authorization !== undefined) {
      const token = authorization.replace(/^\S+\s+/, '');
      expect(JSON.stringify(res.body)).not.toContain(token);
      expect(service.logs.text()).not.toContain(token);
    }
  });

  test('the same attacks on discovery and feedback get the same answers', async () => {
    for (const path of ['/cds-services', `${SERVICE}/feedback`]) {
      const forged = await tokenA({ aud: `${BASE}${path}`, signWith: attacker.privateKey });
      const res =
        path === '/cds-services'
          ? await cds(service.app).get(path, { authorization: `Bearer ${forged}` })
          : await cds(service.app).post(path, { feedback: [] }, { authorization: `Bearer ${forged}` });
      expect(res.status).toBe(401);
      expect(res.body).toEqual(LOGIN_INVALID);
      expect(authFailureLogged(service, res)).toEqual({ authFailure: 'bad-signature', iss: A });
    }
    const none = await cds(service.app).post(`${SERVICE}/feedback`, { feedback: [] });
    expect(none.status).toBe(401);
    expect(none.body).toEqual(LOGIN_MISSING);
    expect(none.headers['www-authenticate']).toBe(WWW_MISSING);
  });

  test('the untrusted jku and the attacker key were never fetched', () => {
    expect(jwks.hitsTo('/evil.json')).toBe(0);
  });
});

describe('replay', () => {
  test('a jti is accepted once; the same token again is refused', async () => {
    const token = await tokenA();
    expect((await call(`Bearer ${token}`)).status).toBe(200);
    const again = await call(`Bearer ${token}`);
    expect(again.status).toBe(401);
    expect(again.body).toEqual(LOGIN_INVALID);
    expect(authFailureLogged(service, again)).toEqual({ authFailure: 'replayed-jti', iss: A });
  });

  test('a new token with a used jti is refused; the same jti from another issuer is its own', async () => {
    const jti = randomUUID();
    expect((await call(`Bearer ${await tokenA({ claims: { jti } })}`)).status).toBe(200);
    const reused = await call(`Bearer ${await tokenA({ claims: { jti } })}`);
    expect(authFailureLogged(service, reused)).toEqual({ authFailure: 'replayed-jti', iss: A });
    expect((await call(`Bearer ${await tokenB({ claims: { jti, tenant: 'hospital-b' } })}`)).status).toBe(200);
  });

  test('a refused token does not burn its jti (only valid tokens are remembered)', async () => {
    const jti = randomUUID();
    const wrong = await call(`Bearer ${await tokenA({ claims: { jti }, aud: `${BASE}/cds-services` })}`);
    expect(authFailureLogged(service, wrong)).toEqual({ authFailure: 'wrong-aud', iss: A });
    expect((await call(`Bearer ${await tokenA({ claims: { jti } })}`)).status).toBe(200);
  });
});

describe('fhirServer allowlist per issuer', () => {
  const fetching = (fhirServer: string, token: string): Promise<Answer> => {
    const body = validPatientView(service.registry);
    delete body.prefetch;
    body.fhirServer = fhirServer;
    body.fhirAuthorization = {
      access_token: 'ehr-token',
      token_type: 'Bearer',
      expires_in: 300,
      scope: 'user/*.read',
      subject: 'cds',
    };
    return cds(service.app).post(SERVICE, body, { authorization: `Bearer ${token}` });
  };

  test("an issuer's own FHIR server is called, with the token", async () => {
    fhir.mode = { kind: 'data' };
    const before = fhir.hits.length;
    const res = await fetching(`${fhir.url}/fhir`, await tokenA());
    expect(res.status).toBe(200);
    expect(fhir.hits.length).toBeGreaterThan(before);
    expect(fhir.hits.slice(before).every((h) => h.authorization === 'Bearer ehr-token' && h.path.startsWith('/fhir/'))).toBe(
      true,
    );
  });

  test("a FHIR server not on the issuer's list answers 412 (forbidden), and nothing is called", async () => {
    const before = fhir.hits.length;
    for (const server of [
      `${fhir.url}/other`,
      `${fhir.url}/fhir-b`,
      `${fhir.url}/fhir-evil`,
      `http://localhost:${fhir.port}/fhir`,
    ]) {
      const res = await fetching(server, await tokenA());
      expect(res.status).toBe(412);
      expect(res.body).toEqual(fhirServerForbidden('it is not on the allowlist of the calling issuer'));
    }
    // B's server is fine for B.
    expect((await fetching(`${fhir.url}/fhir-b`, await tokenB())).status).toBe(200);
    expect(fhir.hits.slice(before).every((h) => h.path.startsWith('/fhir-b/'))).toBe(true);
  });
});

describe('what is logged for an authenticated call', () => {
  test('a valid call logs neither the token nor its signature', async () => {
    const token = await tokenB();
    const res = await call(`Bearer ${token}`);
    expect(res.status).toBe(200);
    const text = service.logs.text();
    expect(text).not.toContain(token);
    expect(text).not.toContain(token.split('.')[2]);
  });

  test('the start-up line names the trusted issuers and the audience base', () => {
    const line = service.logs.lines().find((l) => l['msg'] === 'authentication required on every endpoint');
    expect(line).toMatchObject({ issuers: [A, B], audienceBase: BASE });
  });
});
