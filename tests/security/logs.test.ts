import { randomUUID } from 'node:crypto';
import type { CdsRequest } from '../../src/cds/types.js';
import { cds, type Answer } from '../helpers/cds-client.js';
import { validPatientView } from '../helpers/requests.js';
import { testService, type TestService } from '../helpers/service.js';
import {
  hmacWithPublicKey,
  makeKey,
  nowSeconds,
  signToken,
  startFhirServer,
  startJwksServer,
  unsignedToken,
  writeIssuersFile,
  type FhirServerControl,
  type JwksServer,
  type TestKey,
  type TokenSpec,
} from './support.js';

/**
 * A full run with everything captured (tests/helpers/log-capture.ts, level trace): authenticated calls with
 * fhirAuthorization tokens, FHIR servers that answer, refuse, redirect, hang or send HTML, feedback with a
 * comment, and every kind of refused JWT. Then the whole log text, and every answer body, are searched: no JWT
 * (nor any of its signature parts), no access_token, no patient id, name or birth date appears anywhere.
 */

const BASE = 'https://cds.example.test';
const ISS = 'https://ehr.example.test';
const SERVICE = '/cds-services/hip-pain-patient-view';
const AUD = `${BASE}${SERVICE}`;

/** Distinctive patient data, so that a match can only be a leak. */
const PATIENT = { id: 'zq-pt-7f3a91c4', family: 'Quixleighworth', given: 'Marguerithe' };

let jwks: JwksServer;
let fhir: FhirServerControl;
let service: TestService;
let key: TestKey;
let attacker: TestKey;

const jwts: string[] = [];
const accessTokens: string[] = [];
const answers: Answer[] = [];
let httpCalls = 0;
let birthDate = '';

beforeAll(async () => {
  [key, attacker] = await Promise.all([makeKey('ES384', 'log-k1'), makeKey('ES384', 'log-k1')]);
  jwks = await startJwksServer([key.jwk]);
  fhir = await startFhirServer(PATIENT);
  const file = writeIssuersFile([{ iss: ISS, jwksUrl: jwks.jwksUrl(), fhirServers: [`${fhir.url}/fhir`] }]);
  service = await testService({
    TRUSTED_ISSUERS_FILE: file,
    PUBLIC_BASE_URL: BASE,
    RATE_LIMIT_PER_ADDRESS: '0',
    FHIR_TIMEOUT_MS: '400',
  });
});
afterAll(async () => {
  await service.close();
  await jwks.close();
  await fhir.close();
});

async function jwt(over: Partial<TokenSpec> = {}): Promise<string> {
  const token = await signToken({ key, iss: ISS, aud: AUD, ...over });
  jwts.push(token);
  return token;
}

function accessToken(): string {
  const t = `at-${randomUUID()}-${randomUUID()}`;
  accessTokens.push(t);
  return t;
}

/** The usual request, with the distinctive patient in place of the scenario's. */
function request(options: { prefetch: boolean; fhirServer?: string }): CdsRequest {
  const text = JSON.stringify(validPatientView(service.registry))
    .replaceAll('radiographs-first-pain-better-by-1-point', PATIENT.id)
    .replaceAll('"Scenario"', `"${PATIENT.family}"`)
    .replaceAll('Radiographs First Pain Better By 1 Point', PATIENT.given);
  const body = JSON.parse(text) as CdsRequest;
  const patient = (body.prefetch as unknown as { patient: { birthDate: string } }).patient;
  birthDate = patient.birthDate;
  if (!options.prefetch) delete body.prefetch;
  body.fhirServer = options.fhirServer ?? `${fhir.url}/fhir`;
  body.fhirAuthorization = {
    access_token: accessToken(),
    token_type: 'Bearer',
    expires_in: 300,
    scope: 'user/*.read',
    subject: 'hip-pain-cds',
    patient: PATIENT.id,
  };
  return body;
}

async function post(path: string, body: unknown, authorization?: string): Promise<Answer> {
  httpCalls++;
  const res = await cds(service.app).post(path, body, authorization !== undefined ? { authorization } : {});
  answers.push(res);
  return res;
}

async function get(path: string, authorization?: string): Promise<Answer> {
  httpCalls++;
  const res = await cds(service.app).get(path, authorization !== undefined ? { authorization } : {});
  answers.push(res);
  return res;
}

test('a full run: every kind of call, success and failure, gets its expected status', async () => {
  expect((await get('/cds-services', `Bearer ${await jwt({ aud: `${BASE}/cds-services` })}`)).status).toBe(200);

  // Hook calls with a fhirAuthorization token: prefetch only; then data from the FHIR server.
  const withPrefetch = await post(SERVICE, request({ prefetch: true }), `Bearer ${await jwt()}`);
  expect(withPrefetch.status).toBe(200);
  fhir.mode = { kind: 'data' };
  expect((await post(SERVICE, request({ prefetch: false }), `Bearer ${await jwt()}`)).status).toBe(200);

  // The FHIR server fails in every way.
  for (const [mode, status] of [
    [{ kind: 'status', status: 401 }, 412],
    [{ kind: 'status', status: 500 }, 412],
    [{ kind: 'redirect', location: `http://169.254.169.254/latest/meta-data?token=${accessTokens[0] ?? ''}` }, 412],
    [{ kind: 'not-json' }, 412],
    [{ kind: 'hang' }, 412],
  ] as const) {
    fhir.mode = mode;
    expect((await post(SERVICE, request({ prefetch: false }), `Bearer ${await jwt()}`)).status).toBe(status);
  }
  fhir.mode = { kind: 'data' };
  // A fhirServer that is not allowed.
  expect(
    (await post(SERVICE, request({ prefetch: false, fhirServer: 'http://10.9.8.7/fhir' }), `Bearer ${await jwt()}`)).status,
  ).toBe(412);
  expect(
    (
      await post(
        SERVICE,
        request({ prefetch: false, fhirServer: `http://u:${accessToken()}@127.0.0.1:1/fhir` }),
        `Bearer ${await jwt()}`,
      )
    ).status,
  ).toBe(412);

  // Feedback with a comment naming the patient.
  const card = (withPrefetch.body as { cards: { uuid: string }[] }).cards[0]?.uuid;
  const feedbackPath = `${SERVICE}/feedback`;
  const feedback = await post(
    feedbackPath,
    {
      feedback: [
        {
          card,
          outcome: 'overridden',
          overrideReason: { userComment: `${PATIENT.given} ${PATIENT.family} (${PATIENT.id}) had this done elsewhere` },
          outcomeTimestamp: new Date().toISOString(),
        },
      ],
    },
    `Bearer ${await jwt({ aud: `${BASE}${feedbackPath}` })}`,
  );
  expect(feedback.status).toBe(200);

  // Refused JWTs of every kind.
  const now = nowSeconds();
  const refused = [
    await jwt({ claims: { iat: now - 600, exp: now - 300 } }),
    await jwt({ claims: { iat: now + 600, exp: now + 900 } }),
    await jwt({ aud: `${BASE}/cds-services` }),
    await jwt({ signWith: attacker.privateKey }),
    await jwt({ header: { kid: 'unknown' } }),
    await jwt({ header: { jku: 'https://attacker.example/jwks.json' } }),
    await jwt({ iss: 'https://attacker.example' }),
    await hmacWithPublicKey({ key, iss: ISS, aud: AUD }),
    unsignedToken({ alg: 'none', typ: 'JWT', kid: key.kid }, { iss: ISS, aud: AUD, iat: now, exp: now + 300, jti: randomUUID() }),
  ];
  jwts.push(...refused.slice(-2));
  for (const token of refused) expect((await post(SERVICE, request({ prefetch: true }), `Bearer ${token}`)).status).toBe(401);
  const replayed = await jwt();
  expect((await post(SERVICE, request({ prefetch: true }), `Bearer ${replayed}`)).status).toBe(200);
  expect((await post(SERVICE, request({ prefetch: true }), `Bearer ${replayed}`)).status).toBe(401);

  // Tokens where they do not belong: the query string, a malformed header, a bad body.
  const inQuery = await jwt({ aud: `${BASE}/cds-services` });
  expect((await get(`/cds-services?jwt=${inQuery}&access_token=${accessToken()}`)).status).toBe(401);
  expect((await get('/cds-services', `Bearer ${await jwt()} extra`)).status).toBe(401);
  const badBody = request({ prefetch: true });
  (badBody.fhirAuthorization as unknown as Record<string, unknown>)['token_type'] = 'MAC';
  (badBody.fhirAuthorization as unknown as Record<string, unknown>)['expires_in'] = accessToken();
  expect((await post(SERVICE, badBody, `Bearer ${await jwt()}`)).status).toBe(400);
  const broken = `{"hook":"patient-view","fhirAuthorization":{"access_token":"${accessToken()}"`;
  expect((await post(SERVICE, broken, `Bearer ${await jwt()}`)).status).toBe(400);
});

test('the captured log saw the whole run', () => {
  const lines = service.logs.lines();
  expect(lines.filter((l) => l['msg'] === 'request')).toHaveLength(httpCalls);
  const reasons = lines.filter((l) => l['msg'] === 'authentication failed').map((l) => l['authFailure']);
  expect(reasons).toEqual([
    'expired',
    'iat-in-future',
    'wrong-aud',
    'bad-signature',
    'unknown-kid',
    'untrusted-jku',
    'untrusted-iss',
    'alg-not-allowed',
    'alg-not-allowed',
    'replayed-jti',
    'missing',
    'malformed',
  ]);
  expect(lines.filter((l) => l['msg'] === 'FHIR query failed').map((l) => l['reason'])).toEqual(
    expect.arrayContaining(['unauthorized', 'server-error', 'not-allowed', 'invalid-response', 'timeout']),
  );
});

/** Overlapping pieces of `s` of length `n`, every 4 characters (a leak of any n+3 characters is found). */
function windows(s: string, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i + n <= s.length; i += 4) out.push(s.slice(i, i + n));
  return out;
}

test('no JWT, no signature of one, no access token and no patient data appear anywhere in the log', () => {
  const text = service.logs.text();
  expect(jwts.length).toBeGreaterThanOrEqual(25);
  expect(accessTokens.length).toBeGreaterThanOrEqual(20);
  for (const token of jwts) {
    expect(text).not.toContain(token);
    expect(text).not.toContain(token.split('.')[1] ?? 'never');
    // Not even a piece: every 16-character window of the signature.
    for (const piece of windows(token.split('.')[2] ?? '', 16)) expect(text).not.toContain(piece);
  }
  for (const t of accessTokens) for (const piece of windows(t, 16)) expect(text).not.toContain(piece);
  for (const value of [PATIENT.id, PATIENT.family, PATIENT.given, birthDate]) {
    expect(value.length).toBeGreaterThan(5);
    expect(text).not.toContain(value);
  }
  expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/); // nothing that even looks like a JOSE header
  expect(text).not.toMatch(/Bearer [A-Za-z0-9]/);
});

test('no answer body carries a JWT or an access token', () => {
  expect(answers.length).toBe(httpCalls);
  for (const a of answers) {
    const body = JSON.stringify(a.body);
    for (const token of jwts) expect(body).not.toContain(token);
    for (const t of accessTokens) expect(body).not.toContain(t);
    if (a.status >= 400) expect(body).not.toContain(PATIENT.id);
  }
});
