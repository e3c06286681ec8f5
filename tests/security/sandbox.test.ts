import { calculateJwkThumbprint, importJWK, type JWK } from 'jose';
import { randomUUID } from 'node:crypto';
import { loadServiceConfig } from '../../src/config/service-config.js';
import type { JwksFetch } from '../../src/security/jwks.js';
import { readTrustedIssuers, sandboxPreset, type TrustedIssuer } from '../../src/security/trusted-issuers.js';
import { loadScenario } from '../../tools/fixtures/scenarios.js';
import { cds } from '../helpers/cds-client.js';
import { validPatientView } from '../helpers/requests.js';
import { scenarioRequest } from '../helpers/scenario-call.js';
import { testService, type TestService } from '../helpers/service.js';
import {
  authFailureLogged,
  fhirServerForbidden,
  LOGIN_INVALID,
  LOGIN_MISSING,
  makeKey,
  signToken,
  startFhirServer,
  writeIssuersFile,
  type FhirServerControl,
  type TestKey,
} from './support.js';

/**
 * CDS_SANDBOX_PRESET: the CDS Hooks sandbox's published public key set ships with the preset
 * (config/presets/cds-hooks-sandbox.yaml), so no network is ever needed, and the demo's unsigned calls still work
 * in development.
 *
 * The sandbox signs the way cds-hooks/sandbox src/retrieve-data-helpers/jwt-generator.js does: ES384, typ JWT,
 * its kid, jku https://sandbox.cds-hooks.org/.well-known/jwks.json, iss https://sandbox.cds-hooks.org, aud = the
 * exact URL typed into the sandbox, exp = iat + 300, a uuid jti, no tenant. A token that verifies against the
 * shipped key cannot be made here (the project holds no private key), so:
 *  - the shipped preset is tested as it is: its keys load without any fetch, forged tokens are refused, and
 *    unsigned calls pass in development;
 *  - the preset's rules (iss, jku allowlist, ES384 only, fhirServers) are tested with the preset entry itself,
 *    its key set swapped for a key pair made at run time, given as a trusted-issuers file.
 */

const SANDBOX_ISS = 'https://sandbox.cds-hooks.org';
const SANDBOX_JKU = 'https://sandbox.cds-hooks.org/.well-known/jwks.json';
const SANDBOX_KID = '44823f3d-0b01-4a6c-a80e-b9d3e8a7226f';
/** What a tester types into the sandbox as the discovery URL (the sandbox prepends nothing when a scheme is given). */
const DISCOVERY = 'http://localhost:3000/cds-services';

/** The sandbox's JWK Set as it publishes it (build/.well-known/jwks.json of cds-hooks/sandbox). */
const PUBLISHED_KEY = {
  kty: 'EC',
  use: 'sig',
  crv: 'P-384',
  kid: SANDBOX_KID,
  x: 'dw_JGR8nB2I6XveNxUOl2qk699ZPLM2nYI5STSdiEl9avAkrm3CkfYMbrrjr8laB',
  y: 'Sm3mLE-n1zYNla_aiE3cb3nZsL51RbC7ysw3q8aJLxGm-hx79RPMYpITDjp7kgzy',
  alg: 'ES384',
};

/** Every JWK Set fetch any service of this file attempts: there must be none. */
const fetched: string[] = [];
const noNetwork: JwksFetch = (url) => {
  fetched.push(url);
  return Promise.reject(new Error(`no network: ${url}`));
};

/** Exactly the sandbox's header and claims, signed with `key`. */
function sandboxToken(
  key: TestKey,
  aud: string,
  over: { header?: Record<string, unknown>; claims?: Record<string, unknown> } = {},
): Promise<string> {
  const now = Math.round(Date.now() / 1000);
  return signToken({
    key,
    iss: SANDBOX_ISS,
    aud,
    header: { alg: 'ES384', typ: 'JWT', kid: SANDBOX_KID, jku: SANDBOX_JKU, ...over.header },
    claims: { iat: now, exp: now + 300, jti: randomUUID(), ...over.claims },
  });
}

let forger: TestKey;
beforeAll(async () => {
  forger = await makeKey('ES384', SANDBOX_KID);
});
afterAll(() => {
  expect(fetched).toEqual([]);
});

describe('the shipped preset: the sandbox key set, no network', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await testService(
      { CDS_SANDBOX_PRESET: 'true', PUBLIC_BASE_URL: 'http://localhost:3000', RATE_LIMIT_PER_ADDRESS: '0' },
      { jwksFetch: noNetwork },
    );
  });
  afterAll(() => service.close());

  test('the preset is what the sandbox publishes: iss, its jku, its public key set, ES384 only, nothing fetched', () => {
    const expected: TrustedIssuer = {
      iss: SANDBOX_ISS,
      allowedJku: [SANDBOX_JKU],
      jwks: { keys: [PUBLISHED_KEY] },
      fetchJwks: false,
      algorithms: ['ES384'],
      fhirServers: ['http://localhost:*', 'http://127.0.0.1:*', 'https://launch.smarthealthit.org/v/r4/fhir'],
    };
    expect(sandboxPreset()).toEqual([expected]);
  });

  test('the shipped key is a usable P-384 public key (a point on the curve), with no private part', async () => {
    const [issuer] = sandboxPreset();
    const jwk = issuer?.jwks?.keys[0] as JWK;
    const key = await importJWK(jwk, 'ES384');
    expect(key).toMatchObject({ type: 'public', algorithm: { name: 'ECDSA', namedCurve: 'P-384' } });
    expect(jwk).not.toHaveProperty('d');
    expect(await calculateJwkThumbprint(jwk)).toBe(await calculateJwkThumbprint(PUBLISHED_KEY as JWK));
  });

  test('a token made like the sandbox but signed with another key is refused (bad-signature), with no fetch', async () => {
    const res = await cds(service.app).get('/cds-services', { authorization: `Bearer ${await sandboxToken(forger, DISCOVERY)}` });
    expect(res.status).toBe(401);
    expect(res.body).toEqual(LOGIN_INVALID);
    expect(authFailureLogged(service, res)).toEqual({ authFailure: 'bad-signature', iss: SANDBOX_ISS });
  });

  test('a token with another kid is refused at once (unknown-kid): the jku is a name, never fetched', async () => {
    const other = await makeKey('ES384', 'rotated-kid');
    const res = await cds(service.app).get('/cds-services', {
      authorization: `Bearer ${await sandboxToken(other, DISCOVERY, { header: { kid: 'rotated-kid' } })}`,
    });
    expect(res.status).toBe(401);
    expect(authFailureLogged(service, res)).toEqual({ authFailure: 'unknown-kid', iss: SANDBOX_ISS });
  });

  test('the start-up log warns that the preset is on and that a JWT is optional', () => {
    const warnings = service.logs
      .lines()
      .filter((l) => l['level'] === 'warn')
      .map((l) => String(l['msg']));
    expect(warnings.some((m) => m.startsWith('CDS Hooks sandbox preset is ON'))).toBe(true);
    expect(warnings.some((m) => m.startsWith('!!! AUTHENTICATION IS OPTIONAL'))).toBe(true);
  });
});

describe('the demo in development with the preset: unsigned curl calls work, signed calls are verified', () => {
  let fhir: FhirServerControl;
  beforeAll(async () => {
    fhir = await startFhirServer({ id: 'demo-patient', family: 'Demo', given: 'Patient' });
  });
  afterAll(() => fhir.close());

  /** The request `npm run demo` writes for its curl command: no prefetch, its FHIR server, the token "demo-token". */
  function demoRequest(service: TestService): ReturnType<typeof scenarioRequest> {
    const body = scenarioRequest(loadScenario('radiographs-first-pain-better-by-1-point', new Date()), service.registry, {
      prefetch: 'none',
      fhirServer: `${fhir.url}/fhir`,
      token: 'demo-token',
    });
    body.context.patientId = 'demo-patient';
    return body;
  }

  test('NODE_ENV=development, CDS_SANDBOX_PRESET=true: the unsigned demo call answers 200 and fetches with its token', async () => {
    const service = await testService({ NODE_ENV: 'development', CDS_SANDBOX_PRESET: 'true' }, { jwksFetch: noNetwork });
    try {
      expect(service.config.auth.required).toBe(false);
      const before = fhir.hits.length;
      const res = await cds(service.app).hook('hip-pain-patient-view', demoRequest(service));
      expect(res.status).toBe(200);
      const hits = fhir.hits.slice(before);
      expect(hits.length).toBeGreaterThan(0);
      expect(hits.every((h) => h.authorization === 'Bearer demo-token')).toBe(true);
      // The same service verifies a JWT when one is sent: a forged sandbox token is refused, not ignored.
      const forged = await cds(service.app).hook('hip-pain-patient-view', demoRequest(service), {
        authorization: `Bearer ${await sandboxToken(forger, 'http://127.0.0.1/cds-services/hip-pain-patient-view')}`,
      });
      expect(forged.status).toBe(401);
      expect(authFailureLogged(service, forged)).toEqual({ authFailure: 'bad-signature', iss: SANDBOX_ISS });
    } finally {
      await service.close();
    }
  });

  test('AUTH_REQUIRED=true with the preset refuses the unsigned demo call', async () => {
    const service = await testService(
      { NODE_ENV: 'development', CDS_SANDBOX_PRESET: 'true', AUTH_REQUIRED: 'true' },
      { jwksFetch: noNetwork },
    );
    try {
      const res = await cds(service.app).hook('hip-pain-patient-view', demoRequest(service));
      expect(res.status).toBe(401);
      expect(res.body).toEqual(LOGIN_MISSING);
    } finally {
      await service.close();
    }
  });
});

describe("the preset's rules, with its key set swapped for a key made at run time", () => {
  let key: TestKey;
  let service: TestService;
  beforeAll(async () => {
    key = await makeKey('ES384', SANDBOX_KID);
    const [preset] = sandboxPreset();
    if (preset === undefined) throw new Error('the preset has one issuer');
    const file = writeIssuersFile([{ ...preset, jwks: { keys: [{ ...key.jwk, use: 'sig', alg: 'ES384' }] } }]);
    service = await testService(
      { TRUSTED_ISSUERS_FILE: file, PUBLIC_BASE_URL: 'http://localhost:3000', RATE_LIMIT_PER_ADDRESS: '0' },
      { jwksFetch: noNetwork },
    );
  });
  afterAll(() => service.close());

  test('a sandbox-made token passes on discovery, a service and feedback', async () => {
    const discovery = await cds(service.app).get('/cds-services', {
      authorization: `Bearer ${await sandboxToken(key, DISCOVERY)}`,
    });
    expect(discovery.status).toBe(200);
    const serviceUrl = `${DISCOVERY}/hip-pain-patient-view`;
    const body = validPatientView(service.registry);
    body.fhirServer = 'https://launch.smarthealthit.org/v/r4/fhir'; // the sandbox always sends fhirServer
    const hook = await cds(service.app).hook('hip-pain-patient-view', body, {
      authorization: `Bearer ${await sandboxToken(key, serviceUrl)}`,
    });
    expect(hook.status).toBe(200);
    const card = hook.body.cards[0];
    expect(card).toBeDefined();
    const feedback = await cds(service.app).post(
      '/cds-services/hip-pain-patient-view/feedback',
      { feedback: [{ card: card?.uuid, outcome: 'overridden', outcomeTimestamp: new Date().toISOString() }] },
      { authorization: `Bearer ${await sandboxToken(key, `${serviceUrl}/feedback`)}` },
    );
    expect(feedback.status).toBe(200);
  });

  test.each([
    ['another jku', { header: { jku: 'https://attacker.example/.well-known/jwks.json' } }, 'untrusted-jku'],
    ['iss with a trailing slash', { claims: { iss: `${SANDBOX_ISS}/` } }, 'untrusted-iss'],
    ['expired', { claims: { iat: Math.round(Date.now() / 1000) - 600, exp: Math.round(Date.now() / 1000) - 300 } }, 'expired'],
  ])('a sandbox-like token with %s is refused', async (_name, over, reason) => {
    const res = await cds(service.app).get('/cds-services', {
      authorization: `Bearer ${await sandboxToken(key, DISCOVERY, over)}`,
    });
    expect(res.status).toBe(401);
    expect(res.body).toEqual(LOGIN_INVALID);
    expect(authFailureLogged(service, res)?.authFailure).toBe(reason);
  });

  test('an RS384 token (RECOMMENDED by the spec, but not what the sandbox uses) is refused by the ES384-only preset', async () => {
    const rsa = await makeKey('RS384', SANDBOX_KID);
    const res = await cds(service.app).get('/cds-services', {
      authorization: `Bearer ${await sandboxToken(rsa, DISCOVERY, { header: { alg: 'RS384' } })}`,
    });
    expect(res.status).toBe(401);
    expect(authFailureLogged(service, res)).toEqual({ authFailure: 'alg-not-allowed', iss: SANDBOX_ISS });
  });

  test('the aud must be the URL typed into the sandbox: a tunnel URL is refused unless PUBLIC_BASE_URL says so', async () => {
    const res = await cds(service.app).get('/cds-services', {
      authorization: `Bearer ${await sandboxToken(key, 'https://abc123.ngrok.example/cds-services')}`,
    });
    expect(authFailureLogged(service, res)?.authFailure).toBe('wrong-aud');
  });

  test('fhirServer is limited to the preset list', async () => {
    const body = validPatientView(service.registry);
    delete body.prefetch;
    body.fhirServer = 'https://ehr.example.org/fhir';
    body.fhirAuthorization = { access_token: 't', token_type: 'Bearer', expires_in: 300, scope: 'user/*.read', subject: 'cds' };
    const res = await cds(service.app).hook('hip-pain-patient-view', body, {
      authorization: `Bearer ${await sandboxToken(key, `${DISCOVERY}/hip-pain-patient-view`)}`,
    });
    expect(res.status).toBe(412);
    expect(res.body).toEqual(fhirServerForbidden('it is not on the allowlist of the calling issuer'));
  });
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

test('an issuer that may not fetch keys must list them', () => {
  const file = writeIssuersFile([
    { iss: 'https://ehr.example.org', allowedJku: [SANDBOX_JKU], fetchJwks: false, fhirServers: [] },
  ]);
  expect(() => readTrustedIssuers(file)).toThrow("must have required property 'jwks'");
});
