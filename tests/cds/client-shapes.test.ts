import type { Bundle, FhirResource, MedicationRequest, OperationOutcome } from 'fhir/r4.js';
import { randomUUID } from 'node:crypto';
import express from 'express';
import request from 'supertest';
import type { CdsRequest, OrderSelectRequest, OrderSignRequest } from '../../src/cds/types.js';
import { errorHandler } from '../../src/http/errors.js';
import { createLogger } from '../../src/log.js';
import { loadScenario } from '../../tools/fixtures/scenarios.js';
import { cds } from '../helpers/cds-client.js';
import { clone, validOrderSelect, validOrderSign, validPatientView } from '../helpers/requests.js';
import { scenarioRequest } from '../helpers/scenario-call.js';
import { testService, type TestService } from '../helpers/service.js';
import { linesFor, startFhirServer, type FhirServerControl } from '../security/support.js';

/**
 * What real CDS clients send, each shape answered as a clinician needs it: Epic's long ids, Logica's hookInstance,
 * a lenient fhirAuthorization, the pre-R4 JSON media type, order hooks without draft orders, Epic's feedback,
 * and a path that is not valid percent-encoding (docs/ehr-integration.md lists who sends what).
 */

let service: TestService;
let fhir: FhirServerControl;
beforeAll(async () => {
  service = await testService({ RATE_LIMIT_PER_ADDRESS: '0' });
  fhir = await startFhirServer({ id: 'shape-patient', family: 'Shape', given: 'Client' });
});
afterAll(async () => {
  await service.close();
  await fhir.close();
});

/** An id as long as Epic's (FHIR's characters, `n` of them). */
const epicId = (n: number): string => `e${'Q7.x-Z3b'.repeat(40)}`.slice(0, n);

const issues = (body: unknown): { code?: string; expression?: string[]; diagnostics?: string }[] =>
  (body as OperationOutcome).issue;

interface Draft {
  resource: FhirResource & { id?: string };
}
const draftsOf = (body: OrderSelectRequest | OrderSignRequest): Draft[] =>
  (body.context.draftOrders as unknown as Bundle).entry as Draft[];

describe('ids up to 256 characters, wherever the service echoes them', () => {
  test('an Epic draft MedicationRequest id (200 characters) keeps the safe-schedule update suggestion', async () => {
    const body = clone(validOrderSign(service.registry)) as OrderSignRequest;
    const id = epicId(200);
    const draft = draftsOf(body)[0];
    if (draft === undefined) throw new Error('scenario has a draft order');
    draft.resource.id = id;
    const res = await cds(service.app).hook('hip-pain-order-sign', body);
    expect(res.status).toBe(200);
    const card = res.body.cards.find((c) => c.source.topic?.code === 'acetaminophen-max-dose');
    const actions = card?.suggestions?.flatMap((s) => s.actions ?? []) ?? [];
    expect(actions.map((a) => a.type)).toEqual(['update']);
    expect(actions[0]?.resource?.id).toBe(id);
  });

  test('an Epic draft ServiceRequest id (200 characters) keeps the replace suggestion, which deletes it by that id', async () => {
    const body = clone(validOrderSelect(service.registry)) as OrderSelectRequest;
    const id = epicId(200);
    const draft = draftsOf(body).find((d) => d.resource.resourceType === 'ServiceRequest');
    if (draft === undefined) throw new Error('scenario drafts an MRI');
    const old = `ServiceRequest/${draft.resource.id ?? ''}`;
    draft.resource.id = id;
    body.context.selections = body.context.selections.map((s) => (s === old ? `ServiceRequest/${id}` : s));
    const res = await cds(service.app).hook('hip-pain-order-select', body);
    expect(res.status).toBe(200);
    const card = res.body.cards.find((c) => c.source.topic?.code === 'mri-before-radiographs');
    const deletes = card?.suggestions?.flatMap((s) => (s.actions ?? []).filter((a) => a.type === 'delete')) ?? [];
    expect(deletes.map((a) => a.resourceId)).toEqual([`ServiceRequest/${id}`]);
  });

  test('an Epic Medication id (108 characters), referenced by absolute URL from a draft, is resolved', async () => {
    const body = clone(validOrderSign(service.registry)) as OrderSignRequest;
    const medicationId = epicId(108);
    const draft = draftsOf(body)[0];
    if (draft === undefined) throw new Error('scenario has a draft order');
    const order = draft.resource as MedicationRequest;
    const medication: FhirResource = { resourceType: 'Medication', id: medicationId, code: order.medicationCodeableConcept };
    delete order.medicationCodeableConcept;
    order.medicationReference = { reference: `https://fhir.epic.example/api/FHIR/R4/Medication/${medicationId}` };
    draftsOf(body).push({ resource: medication });
    const res = await cds(service.app).hook('hip-pain-order-sign', body);
    expect(res.status).toBe(200);
    expect(res.body.cards.map((c) => c.source.topic?.code)).toEqual(['acetaminophen-max-dose']);
  });

  test('an Epic Medication id (108 characters) that prefetch does not include is read from fhirServer by that id', async () => {
    const body = scenarioRequest(loadScenario('add-duloxetine-nsaid-and-acetaminophen', new Date()), service.registry, {
      prefetch: 'full',
      fhirServer: `${fhir.url}/fhir`,
    });
    const medicationId = epicId(108);
    const medications = (body.prefetch?.['medications'] as Bundle | undefined)?.entry ?? [];
    const order = medications.map((e) => e.resource).find((r): r is MedicationRequest => r?.resourceType === 'MedicationRequest');
    if (order === undefined) throw new Error('scenario has a current medication');
    delete order.medicationCodeableConcept;
    order.medicationReference = { reference: `Medication/${medicationId}` };
    const before = fhir.hits.length;
    const res = await cds(service.app).hook('hip-pain-patient-view', body);
    expect(res.status).toBe(200);
    const reads = fhir.hits.slice(before).filter((h) => h.path.startsWith('/fhir/Medication?'));
    expect(reads.map((h) => decodeURIComponent(h.path))).toEqual([`/fhir/Medication?_id=${medicationId}&_count=200`]);
  });

  test('an encounterId of 256 characters is echoed in suggested orders; 257 is refused naming it', async () => {
    const body = clone(validPatientView(service.registry));
    body.context.encounterId = epicId(256);
    const res = await cds(service.app).hook('hip-pain-patient-view', body);
    expect(res.status).toBe(200);
    const created = res.body.cards.flatMap((c) => (c.suggestions ?? []).flatMap((s) => s.actions ?? []));
    expect(created.length).toBeGreaterThan(0);
    for (const a of created)
      expect((a.resource as { encounter?: { reference?: string } }).encounter?.reference).toBe(`Encounter/${epicId(256)}`);

    body.context.encounterId = epicId(257);
    const refused = await cds(service.app).hook('hip-pain-patient-view', body);
    expect(refused.status).toBe(400);
    expect(issues(refused.body).map((i) => i.expression?.[0])).toEqual(['context.encounterId']);
  });
});

describe('hookInstance: any non-empty string up to 256 characters', () => {
  test("Logica's 64-character id that is not a UUID is accepted and logged", async () => {
    const body = clone(validPatientView(service.registry));
    body.hookInstance = `logica-${'0123456789abcdef'.repeat(4)}`.slice(0, 64);
    const res = await cds(service.app).hook('hip-pain-patient-view', body);
    expect(res.status).toBe(200);
    expect(linesFor(service, res).find((l) => l['msg'] === 'request')?.['hookInstance']).toBe(body.hookInstance);
  });

  test('257 characters is refused', async () => {
    const body = clone(validPatientView(service.registry));
    body.hookInstance = 'h'.repeat(257);
    const res = await cds(service.app).hook('hip-pain-patient-view', body);
    expect(res.status).toBe(400);
    expect(issues(res.body)).toEqual([
      {
        severity: 'error',
        code: 'invalid',
        expression: ['hookInstance'],
        diagnostics: 'hookInstance must NOT have more than 256 characters',
      },
    ]);
  });
});

describe('fhirAuthorization: only access_token is needed', () => {
  /** A patient-view call without prefetch, so the service must fetch with the token it was given. */
  function fetching(authorization: Record<string, unknown>): CdsRequest {
    const body = scenarioRequest(loadScenario('radiographs-first-pain-better-by-1-point', new Date()), service.registry, {
      prefetch: 'none',
    });
    body.context.patientId = 'shape-patient';
    body.fhirServer = `${fhir.url}/fhir`;
    body.fhirAuthorization = authorization as CdsRequest['fhirAuthorization'];
    return body;
  }

  test.each([
    ['only access_token', { access_token: 'tok-only' }],
    ['no expires_in, no subject', { access_token: 'tok-no-exp', token_type: 'Bearer', scope: 'user/*.read' }],
    ['token_type "bearer"', { access_token: 'tok-lower', token_type: 'bearer', expires_in: 300, scope: 's', subject: 'x' }],
  ])('%s: the service calls the FHIR server with that token', async (_name, authorization) => {
    const before = fhir.hits.length;
    const res = await cds(service.app).hook('hip-pain-patient-view', fetching(authorization));
    expect(res.status).toBe(200);
    const hits = fhir.hits.slice(before);
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.every((h) => h.authorization === `Bearer ${authorization.access_token}`)).toBe(true);
  });

  test('another token_type, or no access_token, is refused naming the field', async () => {
    const res = await cds(service.app).hook('hip-pain-patient-view', fetching({ token_type: 'MAC' }));
    expect(res.status).toBe(400);
    expect(issues(res.body).map((i) => i.diagnostics)).toEqual([
      'fhirAuthorization.access_token is required',
      'fhirAuthorization.token_type must be "Bearer" (in any case)',
    ]);
  });
});

test('Content-Type application/json+fhir (the pre-R4 FHIR media type) is read as JSON', async () => {
  const res = await cds(service.app).post(
    '/cds-services/hip-pain-patient-view',
    JSON.stringify(validPatientView(service.registry)),
    { 'content-type': 'application/json+fhir; charset=UTF-8' },
  );
  expect(res.status).toBe(200);
  expect((res.body as { cards: unknown[] }).cards.length).toBeGreaterThan(0);
});

describe('order hooks without draftOrders (an EHR client not given them): no cards, and a log line', () => {
  test.each([
    ['order-sign', 'hip-pain-order-sign', () => validOrderSign(service.registry)],
    ['order-select', 'hip-pain-order-select', () => validOrderSelect(service.registry)],
  ] as const)('%s', async (_hook, serviceId, make) => {
    const body = clone(make()) as OrderSelectRequest | OrderSignRequest;
    delete body.context.draftOrders;
    delete body.prefetch; // nothing is fetched either: there is nothing to judge
    const res = await cds(service.app).hook(serviceId, body);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ cards: [] });
    expect(linesFor(service, res).find((l) => l['noCardsBecause'] === 'no-draft-orders')).toMatchObject({
      level: 'info',
      msg: 'order hook without context.draftOrders: no cards',
    });
  });

  test('a draftOrders that is not a Bundle is still refused', async () => {
    const body = clone(validOrderSign(service.registry)) as OrderSignRequest;
    (body.context as Record<string, unknown>)['draftOrders'] = { resourceType: 'List' };
    const res = await cds(service.app).hook('hip-pain-order-sign', body);
    expect(res.status).toBe(400);
  });
});

describe('feedback as Epic sends it', () => {
  async function aCard(): Promise<string> {
    const res = await cds(service.app).hook('hip-pain-patient-view', validPatientView(service.registry));
    const card = res.body.cards[0];
    if (card === undefined) throw new Error('expected a card');
    return card.uuid;
  }
  const path = '/cds-services/hip-pain-patient-view/feedback';
  const reason = { system: 'http://hip-pain-cds.org/fhir/CodeSystem/override-reason', code: 'radiographs-done-elsewhere' };

  test.each([
    ['a list of OverrideReasons', (r: typeof reason) => [{ reason: r, userComment: 'done at the county hospital' }]],
    ['a list of Codings', (r: typeof reason) => [r]],
  ])('plural overrideReasons as %s: the reason is stored as overrideReason', async (_name, shape) => {
    const card = await aCard();
    const res = await cds(service.app).post(path, {
      feedback: [{ card, outcome: 'overridden', outcomeTimestamp: new Date().toISOString(), overrideReasons: shape(reason) }],
    });
    expect(res.status).toBe(200);
    const stored = (await service.store.allFeedback()).find((r) => r.card === card);
    expect({ system: stored?.override_system, code: stored?.override_code }).toEqual(reason);
    expect(stored?.user_comment ?? null).toBe(_name === 'a list of OverrideReasons' ? 'done at the county hospital' : null);
    const line = service.logs.lines().find((l) => l['msg'] === 'feedback' && l['card'] === card);
    expect(line?.['overrideReason']).toBe(reason.code);
  });

  test('the singular overrideReason wins when both are sent', async () => {
    const card = await aCard();
    await cds(service.app).post(path, {
      feedback: [
        {
          card,
          outcome: 'overridden',
          outcomeTimestamp: new Date().toISOString(),
          overrideReason: { reason },
          overrideReasons: [{ reason: { ...reason, code: 'other' } }],
        },
      ],
    });
    expect((await service.store.allFeedback()).find((r) => r.card === card)?.override_code).toBe(reason.code);
  });

  test('a batch of 2,000 entries (over the old cap of 100) is taken whole', async () => {
    const feedback = Array.from({ length: 2000 }, (_, i) => ({
      card: randomUUID(),
      outcome: 'overridden',
      outcomeTimestamp: new Date(Date.now() - i * 1000).toISOString(),
    }));
    const res = await cds(service.app).post(path, { feedback });
    expect(res.status).toBe(200);
    // Invented card ids: answered (not a 400 for the size), counted, not stored (the service never issued them).
    expect(res.body).toEqual({ received: 2000, created: 0, duplicates: 0, unknownCards: 2000 });
  });

  test('a batch larger than BODY_LIMIT is still 413', async () => {
    const small = await testService({ BODY_LIMIT: '10kb' });
    const feedback = Array.from({ length: 200 }, () => ({
      card: randomUUID(),
      outcome: 'overridden',
      outcomeTimestamp: new Date().toISOString(),
    }));
    const res = await cds(small.app).post(path, { feedback });
    expect(res.status).toBe(413);
    await small.close();
  });
});

test('a path that is not valid percent-encoding answers 400 with an OperationOutcome, and no stack in the log', async () => {
  const res = await request(service.app).get('/cds-services/%E0%A4%A');
  expect(res.status).toBe(400);
  expect(res.headers['content-type']).toMatch(/^application\/fhir\+json/);
  expect(res.body).toEqual({
    resourceType: 'OperationOutcome',
    issue: [{ severity: 'error', code: 'invalid', diagnostics: 'the request path is not valid percent-encoding' }],
  });
  const reqId = res.headers['x-request-id'];
  const lines = service.logs.lines().filter((l) => l['reqId'] === reqId);
  expect(lines.map((l) => l['level'])).not.toContain('error');
  expect(JSON.stringify(lines)).not.toMatch(/URIError|\bat \S+ \(/);
});

test('a URIError that is not the router refusing the path (a fault of the service) stays a 500, logged as an error', async () => {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({
    level: 'info',
    destination: { write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) },
  });
  const app = express();
  app.get('/decodes', () => {
    decodeURIComponent('%E0%A4%A'); // throws URIError, without the router's status 400
  });
  app.use(errorHandler(() => log));
  const res = await request(app).get('/decodes');
  expect(res.status).toBe(500);
  expect((res.body as OperationOutcome).issue[0]?.code).toBe('exception');
  expect(lines.map((l) => l['msg'])).toEqual(['unexpected error']);
});
