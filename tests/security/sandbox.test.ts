import { randomUUID } from 'node:crypto';
import { loadServiceConfig } from '../../src/config/service-config.js';
import type { JwksFetch } from '../../src/security/jwks.js';
import { sandboxPreset } from '../../src/security/trusted-issuers.js';
import { cds } from '../helpers/cds-client.js';
import { validPatientView } from '../helpers/requests.js';
import { testService, type TestService } from '../helpers/service.js';
import { authFailureLogged, fhirServerForbidden, LOGIN_INVALID, makeKey, signToken, type TestKey } from './support.js';

/**
 * CDS_SANDBOX_PRESET: a token made the way the CDS Hooks sandbox makes it (cds-hooks/sandbox
 * src/retrieve-data-helpers/jwt-generator.js: ES384, typ JWT, its kid, jku
 * https://sandbox.cds-hooks.org/.well-known/jwks.json, iss https://sandbox.cds-hooks.org, aud = the exact URL
 * typed into the sandbox, exp = iat + 300, a uuid jti, no tenant) passes on discovery, a service and feedback.
 *
 * The sandbox's JWKS URL is on the internet and tests have no network, so here -- and only here -- the JWK Set
 * transport is injected (ServiceOverrides.jwksFetch): it serves a public key made at run time, for exactly that
 * URL, and refuses any other. Everything else (the preset file, the jku allowlist, the cache, jose, the checks)
 * is the real code.
 */

const SANDBOX_ISS = 'https://sandbox.cds-hooks.org';
const SANDBOX_JKU = 'https://sandbox.cds-hooks.org/.well-known/jwks.json';
const SANDBOX_KID = '44823f3d-0b01-4a6c-a80e-b9d3e8a7226f';
/** What a tester types into the sandbox as the discovery URL (the sandbox prepends nothing when a scheme is given). */
const DISCOVERY = 'http://localhost:3000/cds-services';

let sandboxKey: TestKey;
let service: TestService;
const fetched: string[] = [];

beforeAll(async () => {
  sandboxKey = await makeKey('ES384', SANDBOX_KID);
  const jwksFetch: JwksFetch = async (url) => {
    fetched.push(url);
    if (url !== SANDBOX_JKU) throw new Error(`no network in tests: ${url}`);
    return { keys: [{ ...sandboxKey.jwk, use: 'sig', alg: 'ES384' }] };
  };
  service = await testService(
    { CDS_SANDBOX_PRESET: 'true', PUBLIC_BASE_URL: 'http://localhost:3000', RATE_LIMIT_PER_ADDRESS: '0' },
    { jwksFetch },
  );
});
afterAll(() => service.close());

/** Exactly the sandbox's header and claims. */
function sandboxToken(
  aud: string,
  over: { header?: Record<string, unknown>; claims?: Record<string, unknown>; key?: TestKey } = {},
): Promise<string> {
  const now = Math.round(Date.now() / 1000);
  return signToken({
    key: over.key ?? sandboxKey,
    iss: SANDBOX_ISS,
    aud,
    header: { alg: 'ES384', typ: 'JWT', kid: SANDBOX_KID, jku: SANDBOX_JKU, ...over.header },
    claims: { iat: now, exp: now + 300, jti: randomUUID(), ...over.claims },
  });
}

test('the preset is what the sandbox publishes: iss, its jku only, ES384 only', () => {
  expect(sandboxPreset()).toEqual([
    {
      iss: SANDBOX_ISS,
      allowedJku: [SANDBOX_JKU],
      algorithms: ['ES384'],
      fhirServers: ['http://localhost:*', 'http://127.0.0.1:*', 'https://launch.smarthealthit.org/v/r4/fhir'],
    },
  ]);
});

test('a sandbox-signed token passes on discovery, a service and feedback; the JWKS is fetched once from its jku', async () => {
  const discovery = await cds(service.app).get('/cds-services', { authorization: `Bearer ${await sandboxToken(DISCOVERY)}` });
  expect(discovery.status).toBe(200);
  const serviceUrl = `${DISCOVERY}/hip-pain-patient-view`;
  const body = validPatientView(service.registry);
  body.fhirServer = 'https://launch.smarthealthit.org/v/r4/fhir'; // the sandbox always sends fhirServer
  const hook = await cds(service.app).hook('hip-pain-patient-view', body, {
    authorization: `Bearer ${await sandboxToken(serviceUrl)}`,
  });
  expect(hook.status).toBe(200);
  const card = hook.body.cards[0];
  expect(card).toBeDefined();
  const feedback = await cds(service.app).post(
    '/cds-services/hip-pain-patient-view/feedback',
    { feedback: [{ card: card?.uuid, outcome: 'overridden', outcomeTimestamp: new Date().toISOString() }] },
    { authorization: `Bearer ${await sandboxToken(`${serviceUrl}/feedback`)}` },
  );
  expect(feedback.status).toBe(200);
  expect(fetched).toEqual([SANDBOX_JKU]);
});

test.each([
  ['no jku (the preset has no other key source)', { header: { jku: undefined } }, 'no-key-source'],
  ['another jku', { header: { jku: 'https://attacker.example/.well-known/jwks.json' } }, 'untrusted-jku'],
  ['iss with a trailing slash', { claims: { iss: `${SANDBOX_ISS}/` } }, 'untrusted-iss'],
  ['expired', { claims: { iat: Math.round(Date.now() / 1000) - 600, exp: Math.round(Date.now() / 1000) - 300 } }, 'expired'],
])('a sandbox-like token with %s is refused', async (_name, over, reason) => {
  const token = await sandboxToken(DISCOVERY, over as never);
  const res = await cds(service.app).get('/cds-services', { authorization: `Bearer ${token}` });
  expect(res.status).toBe(401);
  expect(res.body).toEqual(LOGIN_INVALID);
  expect(authFailureLogged(service, res)?.authFailure).toBe(reason);
  expect(fetched.every((u) => u === SANDBOX_JKU)).toBe(true);
});

test('an RS384 token (RECOMMENDED by the spec, but not what the sandbox uses) is refused by the ES384-only preset', async () => {
  const rsa = await makeKey('RS384', SANDBOX_KID);
  const res = await cds(service.app).get('/cds-services', {
    authorization: `Bearer ${await sandboxToken(DISCOVERY, { key: rsa, header: { alg: 'RS384' } })}`,
  });
  expect(res.status).toBe(401);
  expect(authFailureLogged(service, res)).toEqual({ authFailure: 'alg-not-allowed', iss: SANDBOX_ISS });
});

test('a token signed with another key under the sandbox kid is refused (bad-signature)', async () => {
  const other = await makeKey('ES384', SANDBOX_KID);
  const res = await cds(service.app).get('/cds-services', {
    authorization: `Bearer ${await sandboxToken(DISCOVERY, { key: other })}`,
  });
  expect(authFailureLogged(service, res)).toEqual({ authFailure: 'bad-signature', iss: SANDBOX_ISS });
});

test('the aud must be the URL typed into the sandbox: a tunnel URL is refused unless PUBLIC_BASE_URL says so', async () => {
  const res = await cds(service.app).get('/cds-services', {
    authorization: `Bearer ${await sandboxToken('https://abc123.ngrok.example/cds-services')}`,
  });
  expect(authFailureLogged(service, res)?.authFailure).toBe('wrong-aud');
});

test('with the preset on, fhirServer is limited to the preset list', async () => {
  const body = validPatientView(service.registry);
  delete body.prefetch;
  body.fhirServer = 'https://ehr.example.org/fhir';
  body.fhirAuthorization = { access_token: 't', token_type: 'Bearer', expires_in: 300, scope: 'user/*.read', subject: 'cds' };
  const res = await cds(service.app).hook('hip-pain-patient-view', body, {
    authorization: `Bearer ${await sandboxToken(`${DISCOVERY}/hip-pain-patient-view`)}`,
  });
  expect(res.status).toBe(412);
  expect(res.body).toEqual(fhirServerForbidden('it is not on the allowlist of the calling issuer'));
});

test('the start-up log warns that the preset is on', () => {
  expect(
    service.logs.lines().some((l) => l['level'] === 'warn' && String(l['msg']).startsWith('CDS Hooks sandbox preset is ON')),
  ).toBe(true);
});

test('the preset is refused in production, whatever else is set', () => {
  expect(() =>
    loadServiceConfig({
      NODE_ENV: 'production',
      CDS_SANDBOX_PRESET: 'true',
      TRUSTED_ISSUERS_FILE: '/dev/null',
      PUBLIC_BASE_URL: 'https://cds.example.org',
    }),
  ).toThrow('CDS_SANDBOX_PRESET is for local testing and is refused in production');
});
