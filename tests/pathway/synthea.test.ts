import type { FhirResource } from 'fhir/r4.js';
import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { basename } from 'node:path';
import type { CdsRequest } from '../../src/cds/types.js';
import { projectPath, readJsonFile } from '../../src/data-files.js';
import { buildPrefetch } from '../../tools/fixtures/prefetch.js';
import { cds, topicsOf } from '../helpers/cds-client.js';
import { testService, type TestService } from '../helpers/service.js';

/**
 * Real-world-like records (fhir-fixtures/synthea, see its README for why each answer is right): every one is
 * evaluated through the service with full prefetch without an error; the cards are exactly those of the table.
 */
const dir = projectPath('fhir-fixtures', 'synthea');
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
const FOUR = ['add-acetaminophen', 'exercise-therapy-first', 'intra-articular-corticosteroid', 'orthopedic-referral'];
const expected: Record<string, string[]> = {
  Asa_Hermiston: FOUR,
  Damion_Frami: FOUR,
  Rufus_Kihn: FOUR,
  Tony_Douglas: FOUR,
  Gayla_Ferry: [...FOUR, 'nsaid-gastroprotection'],
  Mafalda_Turcotte: [...FOUR, 'nsaid-gastroprotection'],
  Renea_Quigley: [...FOUR, 'nsaid-gastroprotection'],
  Elisha_Bradtke: ['exercise-therapy-first'],
  Floyd_Connelly: ['exercise-therapy-first'],
  Dorris_Kuhic: [],
  Dennis_Durgan: [],
  Kathe_Zieme: [],
  Adolfo_Marquardt: [],
  Bill_Reinger: [],
  Xuan_Christiansen: [],
};

let service: TestService;
beforeAll(async () => {
  service = await testService();
});
afterAll(() => service.close());

function resourcesOf(file: string): FhirResource[] {
  const bundle = readJsonFile(`${dir}/${file}`) as { entry: { resource: FhirResource }[] };
  return bundle.entry.map((e) => e.resource);
}

function request(resources: FhirResource[], hook: 'patient-view' | 'order-sign', drafts: FhirResource[] = []): CdsRequest {
  const service_ = service.registry.get(hook === 'patient-view' ? 'hip-pain-patient-view' : 'hip-pain-order-sign');
  if (service_ === undefined) throw new Error('no service');
  const patientId = resources.find((r) => r.resourceType === 'Patient')?.id ?? '';
  const context: Record<string, unknown> = { userId: 'Practitioner/synthea-reviewer', patientId };
  if (hook === 'order-sign')
    context['draftOrders'] = { resourceType: 'Bundle', type: 'collection', entry: drafts.map((resource) => ({ resource })) };
  return { hook, hookInstance: randomUUID(), context: context as never, prefetch: buildPrefetch(service_, resources) };
}

test('every copied record has an expected answer', () => {
  expect(files.map((f) => basename(f).split('_').slice(0, 2).join('_')).sort()).toEqual(Object.keys(expected).sort());
});

describe.each(files)('%s', (file) => {
  test('patient-view gives the cards of the table', async () => {
    const res = await cds(service.app).hook('hip-pain-patient-view', request(resourcesOf(file), 'patient-view'));
    expect(res.status).toBe(200);
    expect(topicsOf(res.body.cards)).toEqual([...(expected[file.split('_').slice(0, 2).join('_')] ?? ['?'])].sort());
  });
});

test('order-sign on a real record: tramadol for a Synthea hip OA patient is warned against, acetaminophen offered', async () => {
  const file = files.find((f) => f.startsWith('Renea_Quigley')) as string;
  const resources = resourcesOf(file);
  const patientId = resources.find((r) => r.resourceType === 'Patient')?.id ?? '';
  const tramadol: FhirResource = {
    resourceType: 'MedicationRequest',
    id: 'draft-tramadol',
    status: 'draft',
    intent: 'order',
    subject: { reference: `Patient/${patientId}` },
    medicationCodeableConcept: {
      coding: [
        {
          system: 'http://www.nlm.nih.gov/research/umls/rxnorm',
          code: '835603',
          display: 'tramadol hydrochloride 50 MG Oral Tablet',
        },
      ],
    },
  };
  const res = await cds(service.app).hook('hip-pain-order-sign', request(resources, 'order-sign', [tramadol]));
  expect(res.status).toBe(200);
  expect(topicsOf(res.body.cards)).toEqual(['avoid-opioids']);
  const actions = res.body.cards[0]?.suggestions?.[0]?.actions ?? [];
  expect(actions.map((a) => a.type)).toEqual(['delete', 'create']);
  expect(actions[0]?.resourceId).toBe('MedicationRequest/draft-tramadol');
});
