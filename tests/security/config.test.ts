import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadServiceConfig } from '../../src/config/service-config.js';
import { readTrustedIssuers } from '../../src/security/trusted-issuers.js';
import { cds } from '../helpers/cds-client.js';
import { validPatientView } from '../helpers/requests.js';
import { testService } from '../helpers/service.js';
import {
  fhirServerForbidden,
  authFailureLogged,
  LOGIN_INVALID,
  LOGIN_MISSING,
  makeKey,
  signToken,
  writeIssuersFile,
  type TestKey,
} from './support.js';

/**
 * Modes and safe defaults. Development (what `npm start` gives): unsigned calls accepted, with a loud warning.
 * Production (NODE_ENV=production): refuses to start without trusted issuers and PUBLIC_BASE_URL, never turns
 * authentication or the sandbox preset off or plain-http fhirServer on, and checks the issuers file strictly.
 */

const ISS = 'https://ehr.example.org';
let key: TestKey;
beforeAll(async () => {
  key = await makeKey('ES384', 'prod-1');
});

describe('development (npm start): unsigned calls accepted, loudly', () => {
  test.each([['development'], ['test']])('NODE_ENV=%s without issuers: no token needed, and a warning', async (nodeEnv) => {
    const service = await testService({ NODE_ENV: nodeEnv });
    try {
      const res = await cds(service.app).get('/cds-services');
      expect(res.status).toBe(200);
      const warning = service.logs
        .lines()
        .find((l) => l['level'] === 'warn' && String(l['msg']).includes('AUTHENTICATION IS OFF'));
      expect(warning?.['msg']).toBe(
        '!!! AUTHENTICATION IS OFF: calls without a JWT are accepted and fhirServer is limited to ALLOWED_FHIR_SERVERS (default: this machine). ' +
          'For development only; set TRUSTED_ISSUERS_FILE (and NODE_ENV=production) for real use. !!!',
      );
    } finally {
      await service.close();
    }
  });

  test('with a TRUSTED_ISSUERS_FILE, authentication is required by default, even in development', async () => {
    const file = writeIssuersFile([{ iss: ISS, jwks: { keys: [key.jwk] }, fhirServers: [] }]);
    const service = await testService({ NODE_ENV: 'development', TRUSTED_ISSUERS_FILE: file });
    try {
      expect(service.config.auth.required).toBe(true);
      const res = await cds(service.app).get('/cds-services');
      expect(res.status).toBe(401);
      expect(res.body).toEqual(LOGIN_MISSING);
      expect(service.logs.text()).not.toContain('AUTHENTICATION IS OFF');
    } finally {
      await service.close();
    }
  });

  test('AUTH_REQUIRED=false with issuers: a token is optional, but one that is sent must be valid', async () => {
    const file = writeIssuersFile([{ iss: ISS, jwks: { keys: [key.jwk] }, fhirServers: [] }]);
    const service = await testService({ TRUSTED_ISSUERS_FILE: file, AUTH_REQUIRED: 'false' });
    try {
      expect((await cds(service.app).get('/cds-services')).status).toBe(200);
      const other = await makeKey('ES384', 'prod-1');
      const forged = await signToken({ key, iss: ISS, aud: 'http://x/cds-services', signWith: other.privateKey });
      const res = await cds(service.app).get('/cds-services', { authorization: `Bearer ${forged}` });
      expect(res.status).toBe(401);
      expect(authFailureLogged(service, res)).toEqual({ authFailure: 'bad-signature', iss: ISS });
    } finally {
      await service.close();
    }
  });

  test('without PUBLIC_BASE_URL (development only) the audience comes from the request: http://<Host>/<path>', async () => {
    const file = writeIssuersFile([{ iss: ISS, jwks: { keys: [key.jwk] }, fhirServers: [] }]);
    const service = await testService({ TRUSTED_ISSUERS_FILE: file });
    try {
      const token = await signToken({ key, iss: ISS, aud: 'http://cds.local:3000/cds-services' });
      expect(
        (await cds(service.app).get('/cds-services', { authorization: `Bearer ${token}`, host: 'cds.local:3000' })).status,
      ).toBe(200);
      // This is why production requires PUBLIC_BASE_URL: the caller picks the Host header.
      const forOther = await signToken({ key, iss: ISS, aud: 'http://other-service.example/cds-services' });
      expect(
        (await cds(service.app).get('/cds-services', { authorization: `Bearer ${forOther}`, host: 'other-service.example' }))
          .status,
      ).toBe(200);
    } finally {
      await service.close();
    }
  });
});

describe('production (NODE_ENV=production) refuses unsafe settings at start-up', () => {
  const file = (): string =>
    writeIssuersFile([{ iss: ISS, jwks: { keys: [key.jwk] }, fhirServers: ['https://ehr.example.org/fhir/R4'] }]);
  const prod = (env: Record<string, string>): Record<string, string> => ({
    NODE_ENV: 'production',
    TRUSTED_ISSUERS_FILE: file(),
    PUBLIC_BASE_URL: 'https://cds.example.org',
    PATIENT_HASH_SECRET: 'a-production-secret-of-at-least-32-characters',
    ...env,
  });

  test.each([
    [{ TRUSTED_ISSUERS_FILE: '' }, 'production (NODE_ENV=production) needs TRUSTED_ISSUERS_FILE: no CDS client would be trusted'],
    [
      { PUBLIC_BASE_URL: '' },
      'production (NODE_ENV=production) needs PUBLIC_BASE_URL (the https URL clients call): the JWT audience must not come from the Host header',
    ],
    [
      { PUBLIC_BASE_URL: 'http://cds.example.org' },
      'PUBLIC_BASE_URL must be https in production (NODE_ENV=production), got "http://cds.example.org"',
    ],
    [{ AUTH_REQUIRED: 'false' }, 'AUTH_REQUIRED cannot be false in production (NODE_ENV=production)'],
    [{ CDS_SANDBOX_PRESET: 'true' }, 'CDS_SANDBOX_PRESET is for local testing and is refused in production'],
    [{ ALLOW_HTTP_FHIR: 'true' }, 'ALLOW_HTTP_FHIR cannot be true in production (NODE_ENV=production): fhirServer must be https'],
    [{ PATIENT_HASH_SECRET: '' }, 'production (NODE_ENV=production) needs PATIENT_HASH_SECRET (at least 32 characters'],
    [{ PATIENT_HASH_SECRET: 'too-short' }, 'production (NODE_ENV=production) needs PATIENT_HASH_SECRET (at least 32 characters'],
  ])('%j: %s', (env, message) => {
    expect(() => loadServiceConfig(prod(env))).toThrow(message);
  });

  test('an issuers file with a plain-http JWKS URL, jku or fhirServer stops start-up', async () => {
    for (const [issuer, message] of [
      [
        { iss: ISS, jwksUrl: 'http://ehr.example.org/jwks.json', fhirServers: [] },
        'jwksUrl http://ehr.example.org/jwks.json: plain http',
      ],
      [
        { iss: ISS, allowedJku: ['http://ehr.example.org/jwks.json'], fhirServers: [] },
        'allowedJku http://ehr.example.org/jwks.json: plain http',
      ],
      [
        { iss: ISS, jwks: { keys: [key.jwk] }, fhirServers: ['http://ehr.example.org/fhir'] },
        'fhirServers http://ehr.example.org/fhir: plain http',
      ],
    ] as const) {
      const f = writeIssuersFile([issuer]);
      const config = loadServiceConfig(prod({ TRUSTED_ISSUERS_FILE: f }));
      await expect(testService(prod({ TRUSTED_ISSUERS_FILE: f }))).rejects.toThrow(`${f}: issuer ${ISS}: ${message}`);
      expect(config.mode).toBe('production');
    }
  });

  test('a complete production configuration runs: every call needs a JWT, fhirServer must be https and listed', async () => {
    const service = await testService(prod({}));
    try {
      expect(service.config.mode).toBe('production');
      expect(service.config.fhir.allowHttp).toBe(false);
      expect(service.logs.text()).not.toContain('AUTHENTICATION IS OFF');
      const unsigned = await cds(service.app).post('/cds-services/hip-pain-patient-view', validPatientView(service.registry));
      expect(unsigned.status).toBe(401);
      const token = await signToken({ key, iss: ISS, aud: 'https://cds.example.org/cds-services' });
      expect((await cds(service.app).get('/cds-services', { authorization: `Bearer ${token}` })).status).toBe(200);
      const wrongAud = await signToken({ key, iss: ISS, aud: 'http://cds.example.org/cds-services' });
      expect((await cds(service.app).get('/cds-services', { authorization: `Bearer ${wrongAud}` })).body).toEqual(LOGIN_INVALID);

      const body = validPatientView(service.registry);
      delete body.prefetch;
      body.fhirAuthorization = { access_token: 't', token_type: 'Bearer', expires_in: 300, scope: 'user/*.read', subject: 'cds' };
      const refused: [string, string][] = [
        ['http://ehr.example.org/fhir/R4', 'https is required'],
        ['http://127.0.0.1:8080/fhir', 'https is required'],
        ['https://other.example.org/fhir/R4', 'it is not on the allowlist of the calling issuer'],
        ['https://169.254.169.254/fhir', 'link-local and cloud metadata addresses are never called'],
      ];
      for (const [fhirServer, why] of refused) {
        body.fhirServer = fhirServer;
        const aud = 'https://cds.example.org/cds-services/hip-pain-patient-view';
        const res = await cds(service.app).post('/cds-services/hip-pain-patient-view', body, {
          authorization: `Bearer ${await signToken({ key, iss: ISS, aud })}`,
        });
        expect(res.status).toBe(412);
        expect(res.body).toEqual(fhirServerForbidden(why));
      }
    } finally {
      await service.close();
    }
  });
});

describe('PUBLIC_BASE_URL and ALLOWED_FHIR_SERVERS are checked', () => {
  test.each([
    ['HTTPS://CDS.Example.org:443/base/', 'https://cds.example.org/base'],
    ['http://localhost:3000/', 'http://localhost:3000'],
    ['https://cds.example.org', 'https://cds.example.org'],
  ])('PUBLIC_BASE_URL %s is used as %s', (value, expected) => {
    expect(loadServiceConfig({ NODE_ENV: 'test', PUBLIC_BASE_URL: value }).publicBaseUrl).toBe(expected);
  });

  test.each([
    ['cds.example.org', 'PUBLIC_BASE_URL must be an absolute URL such as https://cds.example.org, got "cds.example.org"'],
    ['ftp://cds.example.org', 'PUBLIC_BASE_URL must be an http(s) URL, got "ftp://cds.example.org"'],
    ['https://cds.example.org/?x=1', 'PUBLIC_BASE_URL must be a plain base URL without credentials, query or fragment'],
    ['https://u:p@cds.example.org', 'PUBLIC_BASE_URL must be a plain base URL without credentials, query or fragment'],
  ])('PUBLIC_BASE_URL %s is refused', (value, message) => {
    expect(() => loadServiceConfig({ NODE_ENV: 'test', PUBLIC_BASE_URL: value })).toThrow(message);
  });

  test.each([
    ['http://169.254.169.254', 'ALLOWED_FHIR_SERVERS: http://169.254.169.254: a link-local or cloud metadata address'],
    [
      'http://localhost:*,http://metadata.google.internal',
      'ALLOWED_FHIR_SERVERS: http://metadata.google.internal: a link-local or cloud metadata address',
    ],
    ['http://u:p@10.0.0.5/fhir', 'ALLOWED_FHIR_SERVERS: http://u:p@10.0.0.5/fhir: credentials in the URL'],
    ['10.0.0.5/fhir', 'ALLOWED_FHIR_SERVERS: 10.0.0.5/fhir: not a URL'],
  ])('ALLOWED_FHIR_SERVERS=%s is refused', (value, message) => {
    expect(() => loadServiceConfig({ NODE_ENV: 'test', ALLOWED_FHIR_SERVERS: value })).toThrow(message);
  });

  test('the default ALLOWED_FHIR_SERVERS is loopback only', () => {
    expect(loadServiceConfig({ NODE_ENV: 'test' }).fhir.allowedServers).toEqual([
      'http://localhost:*',
      'http://127.0.0.1:*',
      'http://[::1]:*',
      'https://localhost:*',
      'https://127.0.0.1:*',
      'https://[::1]:*',
    ]);
  });
});

describe('the trusted issuers file is checked in full', () => {
  const write = (text: string): string => {
    const dir = mkdtempSync(join(tmpdir(), 'hip-pain-cds-issuers-'));
    const f = join(dir, 'issuers.yaml');
    writeFileSync(f, text);
    return f;
  };

  test.each([
    [
      'a private key',
      { iss: ISS, jwks: { keys: [{ kty: 'EC', kid: 'x', crv: 'P-256', x: 'a', y: 'b', d: 'c' }] }, fhirServers: [] },
      'lists a private or symmetric key (kid x); give public keys only',
    ],
    [
      'a symmetric key',
      { iss: ISS, jwks: { keys: [{ kty: 'oct', kid: 'h', k: 'c2VjcmV0' }] }, fhirServers: [] },
      'must be equal to one of the allowed values',
    ],
    [
      'HS256 in algorithms',
      { iss: ISS, jwksUrl: 'https://e/jwks', algorithms: ['HS256'], fhirServers: [] },
      'must be equal to one of the allowed values',
    ],
    ['no key source', { iss: ISS, fhirServers: [] }, 'must match a schema in anyOf'],
    ['a misspelt field', { iss: ISS, jwks_url: 'https://e/jwks', fhirServers: [] }, 'must NOT have additional properties'],
    [
      'a metadata fhirServer',
      { iss: ISS, jwksUrl: 'https://e/jwks', fhirServers: ['http://169.254.169.254/'] },
      'fhirServers http://169.254.169.254/: a link-local or cloud metadata address',
    ],
    [
      'credentials in a jku',
      { iss: ISS, allowedJku: ['https://u:p@e/jwks'], fhirServers: [] },
      'allowedJku https://u:p@e/jwks: credentials in the URL',
    ],
  ])('%s', (_name, issuer, message) => {
    expect(() => readTrustedIssuers(writeIssuersFile([issuer]))).toThrow(message);
  });

  test('the same issuer twice, or no issuer at all', () => {
    const i = { iss: ISS, jwksUrl: 'https://e/jwks', fhirServers: [] };
    expect(() => readTrustedIssuers(writeIssuersFile([i, i]))).toThrow(`issuer ${ISS} is listed twice`);
    expect(() => readTrustedIssuers(writeIssuersFile([]))).toThrow('must NOT have fewer than 1 items');
  });

  test('a file that is not YAML, or missing', () => {
    expect(() => readTrustedIssuers(write('issuers: [\n'))).toThrow('cannot read');
    expect(() => readTrustedIssuers('/nonexistent/issuers.yaml')).toThrow('cannot read /nonexistent/issuers.yaml');
  });

  test('config/trusted-issuers.example.yaml is valid, in production too', () => {
    const issuers = readTrustedIssuers(join(process.cwd(), 'config', 'trusted-issuers.example.yaml'), { httpsOnly: true });
    expect(issuers.map((i) => i.iss)).toEqual(['https://ehr.example.org']);
  });
});
