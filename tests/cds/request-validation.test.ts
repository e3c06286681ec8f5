import type { OperationOutcome } from 'fhir/r4.js';
import { cds } from '../helpers/cds-client.js';
import { clone, validOrderSelect, validOrderSign, validPatientView } from '../helpers/requests.js';
import { testService, type TestService } from '../helpers/service.js';

/** CDS Hooks 2.0.1 request tables, checked with exact answers: every problem and where it is. */
let service: TestService;
beforeAll(async () => {
  service = await testService();
});
afterAll(() => service.close());

const issues = (body: unknown): { code?: string; expression?: string[]; diagnostics?: string }[] =>
  (body as OperationOutcome).issue;
const where = (body: unknown): string[] =>
  issues(body)
    .map((i) => (i.expression ?? [])[0] ?? '(none)')
    .sort();

describe('POST /cds-services/{id}: the request', () => {
  test('a valid patient-view request answers 200 with cards', async () => {
    const res = await cds(service.app).hook('hip-pain-patient-view', validPatientView(service.registry));
    expect(res.status).toBe(200);
    expect(res.body.cards.length).toBeGreaterThan(0);
  });

  test('an unknown service answers 404', async () => {
    const res = await cds(service.app).hook('hip-pain-knee-view', validPatientView(service.registry));
    expect(res.status).toBe(404);
    expect(issues(res.body)[0]).toMatchObject({
      code: 'not-found',
      diagnostics: 'no CDS service "hip-pain-knee-view" here; GET /cds-services lists them',
    });
  });

  test('a hook that does not match the service answers 400 naming `hook`', async () => {
    const body = { ...validPatientView(service.registry), hook: 'order-sign' };
    const res = await cds(service.app).hook('hip-pain-patient-view', body);
    expect(res.status).toBe(400);
    expect(issues(res.body)).toEqual([
      {
        severity: 'error',
        code: 'invalid',
        expression: ['hook'],
        diagnostics: 'hook "order-sign" does not match this service, which answers "patient-view"',
      },
    ]);
  });

  test('every problem is named with where it is', async () => {
    const body = clone(validPatientView(service.registry)) as unknown as Record<string, unknown>;
    delete body['hook'];
    body['hookInstance'] = '';
    const context = body['context'] as Record<string, unknown>;
    delete context['patientId'];
    context['userId'] = 'Device/42';
    body['fhirAuthorization'] = { token_type: 'MAC', expires_in: 300, scope: 's' };
    const res = await cds(service.app).hook('hip-pain-patient-view', body);
    expect(res.status).toBe(400);
    expect(where(res.body)).toEqual([
      'context.patientId',
      'context.userId',
      'fhirAuthorization.access_token',
      'fhirAuthorization.token_type',
      'fhirServer',
      'hook',
      'hookInstance',
    ]);
    const byWhere: Record<string, string | undefined> = Object.fromEntries(
      issues(res.body).map((i) => [(i.expression ?? [])[0], i.diagnostics]),
    );
    expect(byWhere.hook).toBe('hook is required');
    expect(byWhere.hookInstance).toBe('hookInstance must NOT have fewer than 1 characters');
    expect(byWhere['fhirAuthorization.access_token']).toBe('fhirAuthorization.access_token is required');
    expect(byWhere.fhirServer).toBe('fhirServer is required when fhirAuthorization is present');
    expect(byWhere['fhirAuthorization.token_type']).toBe('fhirAuthorization.token_type must be "Bearer" (in any case)');
    expect(byWhere['context.patientId']).toBe('context.patientId is required');
  });

  test('a request that is not an object answers 400', async () => {
    const res = await cds(service.app).post('/cds-services/hip-pain-patient-view', '[1,2,3]');
    expect(res.status).toBe(400);
    expect(issues(res.body)[0]?.diagnostics).toBe('(request body) must be object');
  });

  test('order-select needs selections, and every selection must be a draft order', async () => {
    const body = clone(validOrderSelect(service.registry));
    const ctx = body.context as unknown as Record<string, unknown>;
    delete ctx['selections'];
    let res = await cds(service.app).hook('hip-pain-order-select', body);
    expect(res.status).toBe(400);
    expect(where(res.body)).toEqual(['context.selections']);

    const body2 = clone(validOrderSelect(service.registry));
    (body2.context as unknown as { selections: string[] }).selections = [
      'ServiceRequest/draft-mri',
      'MedicationRequest/not-there',
    ];
    res = await cds(service.app).hook('hip-pain-order-select', body2);
    expect(res.status).toBe(400);
    expect(issues(res.body)).toEqual([
      {
        severity: 'error',
        code: 'not-found',
        expression: ['context.selections[1]'],
        diagnostics: 'context.selections[1] names MedicationRequest/not-there, which is not in context.draftOrders',
      },
    ]);
  });

  test('order-sign needs draftOrders to be a Bundle; Bundle.type may be missing (the sandbox omits it)', async () => {
    const body = clone(validOrderSign(service.registry));
    const draft = (body.context as unknown as { draftOrders: Record<string, unknown> }).draftOrders;
    delete draft['type'];
    let res = await cds(service.app).hook('hip-pain-order-sign', body);
    expect(res.status).toBe(200);
    draft['resourceType'] = 'List';
    res = await cds(service.app).hook('hip-pain-order-sign', body);
    expect(res.status).toBe(400);
    expect(issues(res.body)).toEqual([
      {
        severity: 'error',
        code: 'invalid',
        expression: ['context.draftOrders.resourceType'],
        diagnostics: 'context.draftOrders.resourceType must be "Bundle"',
      },
    ]);
  });
});

describe('prefetch: every value shape', () => {
  const keys = [
    'patient',
    'conditions',
    'observations',
    'medications',
    'procedures',
    'serviceRequests',
    'diagnosticReports',
    'imagingStudies',
  ];

  test('missing keys without fhirServer and fhirAuthorization: their types are unknown, 200, and the log says which', async () => {
    const body = clone(validPatientView(service.registry));
    const prefetch = body.prefetch as Record<string, unknown>;
    delete prefetch['medications'];
    prefetch['procedures'] = {
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'error', code: 'timeout', diagnostics: 'EHR could not search' }],
    };
    const res = await cds(service.app).hook('hip-pain-patient-view', body);
    expect(res.status).toBe(200);
    // radiographs-first and exercise-program-review both need Procedure: this patient's two cards are not made.
    expect(res.body.cards).toEqual([]);
    const line = service.logs.lines().find((l) => l['unknownKeys'] !== undefined);
    expect(line?.['unknownTypes']).toEqual(['Medication', 'MedicationRequest', 'Procedure']);
    expect(line?.['unknownKeys']).toEqual({ medications: 'is missing', procedures: 'is an OperationOutcome' });
  });

  test('a missing Patient without fhirServer is still a 412, naming every missing key with its short query', async () => {
    const body = clone(validPatientView(service.registry));
    const prefetch = body.prefetch as Record<string, unknown>;
    delete prefetch['patient'];
    delete prefetch['medications'];
    const res = await cds(service.app).hook('hip-pain-patient-view', body);
    expect(res.status).toBe(412);
    expect(issues(res.body).map((i) => [i.code, (i.expression ?? [])[0]])).toEqual([
      ['incomplete', 'prefetch.patient'],
      ['incomplete', 'prefetch.medications'],
    ]);
    expect(issues(res.body)[1]?.diagnostics).toBe(
      'prefetch.medications is missing (MedicationRequest?patient={{context.patientId}}&status=active,on-hold&_include=MedicationRequest:medication) and the request has no fhirServer with fhirAuthorization to fetch it',
    );
    expect(JSON.stringify(res.body).length).toBeLessThan(1000);
  });

  test('no prefetch at all and no fhirServer: 412 naming all eight keys', async () => {
    const body = clone(validPatientView(service.registry));
    delete body.prefetch;
    const res = await cds(service.app).hook('hip-pain-patient-view', body);
    expect(res.status).toBe(412);
    expect(where(res.body)).toEqual(keys.map((k) => `prefetch.${k}`).sort());
  });

  test('null means "no data": accepted as empty when there is no server to ask', async () => {
    const body = clone(validPatientView(service.registry));
    (body.prefetch as Record<string, unknown>)['imagingStudies'] = null;
    (body.prefetch as Record<string, unknown>)['serviceRequests'] = null;
    const res = await cds(service.app).hook('hip-pain-patient-view', body);
    expect(res.status).toBe(200);
    expect(res.body.cards.map((c) => c.source.topic?.code).sort()).toEqual(['exercise-program-review', 'radiographs-first']);
  });

  test('a single resource, and a Bundle without type, are read like a searchset', async () => {
    const body = clone(validPatientView(service.registry));
    const prefetch = body.prefetch as Record<string, { entry?: { resource: unknown }[]; type?: string }>;
    const conditions = prefetch['conditions'];
    prefetch['conditions'] = conditions?.entry?.[0]?.resource as never;
    delete prefetch['observations']?.type;
    const res = await cds(service.app).hook('hip-pain-patient-view', body);
    expect(res.status).toBe(200);
    expect(res.body.cards.map((c) => c.source.topic?.code).sort()).toEqual(['exercise-program-review', 'radiographs-first']);
  });

  test('a searchset carrying an error OperationOutcome entry counts as missing: Condition unknown', async () => {
    const body = clone(validPatientView(service.registry));
    (body.prefetch as Record<string, unknown>)['conditions'] = {
      resourceType: 'Bundle',
      type: 'searchset',
      entry: [
        {
          resource: {
            resourceType: 'OperationOutcome',
            issue: [{ severity: 'error', code: 'too-costly', diagnostics: 'too many' }],
          },
          search: { mode: 'outcome' },
        },
      ],
    };
    const res = await cds(service.app).hook('hip-pain-patient-view', body);
    expect(res.status).toBe(200);
    expect(res.body.cards).toEqual([]); // both cards of this patient need Condition
    expect(service.logs.lines().some((l) => JSON.stringify(l['unknownTypes']) === '["Condition"]')).toBe(true);
  });

  test('sandbox shapes: a single object for reasonCode and category, no intent', async () => {
    const body = clone(validOrderSelect(service.registry));
    const draft = (body.context as unknown as { draftOrders: { entry: { resource: Record<string, unknown> }[] } }).draftOrders
      .entry[0]?.resource as Record<string, unknown>;
    draft['reasonCode'] = {
      coding: [{ system: 'http://snomed.info/sct', code: '49218002', display: 'Hip pain' }],
      text: 'Hip pain',
    };
    draft['category'] = { coding: [{ system: 'http://snomed.info/sct', code: '363679005', display: 'Imaging' }] };
    delete draft['intent'];
    const res = await cds(service.app).hook('hip-pain-order-select', body);
    expect(res.status).toBe(200);
    expect(res.body.cards.map((c) => c.source.topic?.code)).toEqual(['mri-before-radiographs']);
  });
});
