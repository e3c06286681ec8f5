import type { OperationOutcome } from 'fhir/r4.js';
import request from 'supertest';
import { cds } from '../helpers/cds-client.js';
import { validPatientView } from '../helpers/requests.js';
import { testService, type TestService } from '../helpers/service.js';

/** Bad input never hurts: exact answers for the HTTP edge cases, all as OperationOutcome. */
let service: TestService;
beforeAll(async () => {
  service = await testService({ BODY_LIMIT: '64kb', CORS_ORIGINS: 'https://sandbox.cds-hooks.org,http://localhost:*' });
});
afterAll(() => service.close());

const first = (body: unknown): { code?: string; diagnostics?: string } => (body as OperationOutcome).issue[0] as never;

describe('HTTP', () => {
  test('GET /healthz', async () => {
    const res = await cds(service.app).get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: 'ok',
      service: 'hip-pain-cds',
      version: expect.any(String),
      pathwayVersion: expect.any(String),
    });
  });

  test('a body over the limit answers 413', async () => {
    const big = JSON.stringify({ ...validPatientView(service.registry), padding: 'x'.repeat(70 * 1024) });
    const res = await cds(service.app).post('/cds-services/hip-pain-patient-view', big);
    expect(res.status).toBe(413);
    expect(first(res.body)).toEqual({
      severity: 'error',
      code: 'too-long',
      diagnostics: 'request body is larger than the limit of 65536 bytes',
    });
  });

  test('malformed JSON answers 400', async () => {
    const res = await cds(service.app).post('/cds-services/hip-pain-patient-view', '{"hook": "patient-view",');
    expect(res.status).toBe(400);
    expect(first(res.body)).toMatchObject({ code: 'structure', diagnostics: 'request body is not valid JSON' });
  });

  test('a wrong content type answers 415', async () => {
    const res = await cds(service.app).post('/cds-services/hip-pain-patient-view', 'hook=patient-view', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(res.status).toBe(415);
    expect(first(res.body)).toMatchObject({
      code: 'not-supported',
      diagnostics: 'Content-Type must be application/json, got "application/x-www-form-urlencoded"',
    });
  });

  test('application/fhir+json is accepted as JSON', async () => {
    const res = await cds(service.app).post(
      '/cds-services/hip-pain-patient-view',
      JSON.stringify(validPatientView(service.registry)),
      { 'content-type': 'application/fhir+json; charset=utf-8' },
    );
    expect(res.status).toBe(200);
  });

  test('an unknown route answers 404 and a wrong method 405, both as OperationOutcome', async () => {
    const res = await cds(service.app).get('/admin');
    expect(res.status).toBe(404);
    expect(first(res.body)).toMatchObject({
      code: 'not-found',
      diagnostics: 'nothing at GET /admin; the CDS services are at GET /cds-services',
    });
    const wrong = await cds(service.app).get('/cds-services/hip-pain-patient-view');
    expect(wrong.status).toBe(405);
    expect(wrong.headers['allow']).toBe('POST');
  });

  test('the hook route is matched as the CDS router matches it: case-sensitive, one trailing slash allowed', async () => {
    const body = JSON.stringify(validPatientView(service.registry));
    const slash = await cds(service.app).post('/cds-services/hip-pain-patient-view/', body);
    expect(slash.status).toBe(200);
    const upper = await cds(service.app).post('/CDS-SERVICES/hip-pain-patient-view', body);
    expect(upper.status).toBe(404);
    expect(first(upper.body)).toMatchObject({
      diagnostics: 'nothing at POST /CDS-SERVICES/hip-pain-patient-view; the CDS services are at GET /cds-services',
    });
    const deeper = await cds(service.app).post('/cds-services/hip-pain-patient-view/extra', body);
    expect(deeper.status).toBe(404);
    const unknown = await cds(service.app).post('/cds-services/no-such-service', body);
    expect(unknown.status).toBe(404);
    expect(first(unknown.body)).toMatchObject({
      diagnostics: 'no CDS service "no-such-service" here; GET /cds-services lists them',
    });
    expect(unknown.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('a hook path that is not valid percent-encoding answers 400 with a request id and one access line', async () => {
    for (const res of [
      await cds(service.app).post('/cds-services/%E0%A4%A', JSON.stringify(validPatientView(service.registry))),
      await cds(service.app).get('/cds-services/%E0%A4%A'),
    ]) {
      expect(res.status).toBe(400);
      expect(first(res.body)).toMatchObject({ code: 'invalid', diagnostics: 'the request path is not valid percent-encoding' });
      const reqId = res.headers['x-request-id'];
      expect(reqId).toMatch(/^[0-9a-f-]{36}$/);
      const access = service.logs.lines().filter((l) => l['reqId'] === reqId && l['msg'] === 'request');
      expect(access).toHaveLength(1);
      expect(access[0]).toMatchObject({ status: 400 });
    }
  });

  test('every answer carries a request id; a sane X-Request-Id is echoed', async () => {
    const res = await cds(service.app).get('/healthz', { 'x-request-id': 'ehr-req-42' });
    expect(res.headers['x-request-id']).toBe('ehr-req-42');
    const other = await cds(service.app).get('/healthz', { 'x-request-id': 'bad id with spaces' });
    expect(other.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('CORS', () => {
  test('the sandbox preflight is answered with the methods and headers it needs', async () => {
    const res = await request(service.app)
      .options('/cds-services/hip-pain-patient-view')
      .set('Origin', 'https://sandbox.cds-hooks.org')
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'authorization,content-type')
      .set('Access-Control-Request-Private-Network', 'true');
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('https://sandbox.cds-hooks.org');
    expect(res.headers['access-control-allow-methods']).toBe('GET, POST, OPTIONS');
    expect(res.headers['access-control-allow-headers']).toMatch(/Authorization/);
    expect(res.headers['access-control-allow-headers']).toMatch(/Content-Type/);
    expect(res.headers['access-control-allow-private-network']).toBe('true');
  });

  test('a localhost origin on any port is allowed by the pattern; other origins get no CORS header', async () => {
    const ok = await request(service.app).get('/cds-services').set('Origin', 'http://localhost:8080');
    expect(ok.headers['access-control-allow-origin']).toBe('http://localhost:8080');
    const no = await request(service.app).get('/cds-services').set('Origin', 'https://evil.example');
    expect(no.headers['access-control-allow-origin']).toBeUndefined();
  });

  test('error answers carry the CORS header too, so the browser sees the real status', async () => {
    const res = await request(service.app).post('/cds-services/nope').set('Origin', 'https://sandbox.cds-hooks.org').send({});
    expect(res.status).toBe(404);
    expect(res.headers['access-control-allow-origin']).toBe('https://sandbox.cds-hooks.org');
  });

  test('the default (no CORS_ORIGINS) allows any origin without credentials', async () => {
    const open = await testService();
    const res = await request(open.app).get('/cds-services').set('Origin', 'https://sandbox.cds-hooks.org');
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    await open.close();
  });
});

describe('logs', () => {
  test('each hook call writes one line with its request id, hookInstance and topics, and no patient id or token', async () => {
    const body = validPatientView(service.registry);
    await cds(service.app).hook('hip-pain-patient-view', body, { 'x-request-id': 'log-check-1' });
    const lines = service.logs.lines().filter((l) => l['reqId'] === 'log-check-1');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      msg: 'request',
      method: 'POST',
      path: '/cds-services/hip-pain-patient-view',
      status: 200,
      hookInstance: body.hookInstance,
      service: 'hip-pain-patient-view',
      sources: expect.objectContaining({ conditions: 'prefetch' }),
      topics: ['radiographs-first', 'exercise-program-review'],
    });
    const text = JSON.stringify(lines);
    expect(text).not.toContain(body.context.patientId);
    expect(text).not.toContain('Practitioner/scenario-clinician');
  });
});
