import type { Bundle, FhirResource, Medication, MedicationRequest } from 'fhir/r4.js';
import { gzipSync } from 'node:zlib';
import { fillTemplate } from '../../src/fhir/prefetch.js';
import { FhirHttpFetcher } from '../../src/fhir/fhir-client.js';
import { RULES } from '../../src/pathway/rules/index.js';
import type { CdsRequest, CdsResponse } from '../../src/cds/types.js';
import { scenarioBundle, syntheaBundle, syntheaNames } from '../../tools/fixtures/fhir-load.js';
import { scenarioRequest, SERVICE_FOR_HOOK } from '../../tools/fixtures/requests.js';
import { loadScenario, type Scenario } from '../../tools/fixtures/scenarios.js';
import { startFhirServer, type RunningFhirServer } from '../../tools/fhir-server/index.js';
import { cds, topicsOf, type Answer, normalisedCards } from '../helpers/cds-client.js';
import { testService, type TestService } from '../helpers/service.js';

/**
 * Partial data is an answer, not an error (docs/clinical-spec.md §1, docs/fhir-data.md): what real EHRs and FHIR
 * servers send, against the real FHIR engine (tools/fhir-server): a prefetch that is the first page of 20 with a
 * next link (the CDS Hooks sandbox, Medplum), an ImagingStudy search the server does not have (404), a server that
 * refuses POST _search (405), answers over the byte or entry caps. A type that cannot be had completely is
 * *unknown*: the call answers 200 with the cards whose rules do not need it, and none of those that do.
 */

const NOW = new Date();
const TOKEN = 'partial-data-token-5e2a';
const scenario = loadScenario('radiographs-first-pain-better-by-1-point', NOW);
const largest = syntheaNames()
  .map((n) => syntheaBundle(n))
  .sort((a, b) => JSON.stringify(b.bundle).length - JSON.stringify(a.bundle).length)[0];
if (largest === undefined) throw new Error('no Synthea record');

let fhir: RunningFhirServer;
let service: TestService;

beforeAll(async () => {
  fhir = await startFhirServer({ seed: [scenarioBundle(scenario).bundle, largest.bundle] });
  service = await testService({ FHIR_TIMEOUT_MS: '5000' }, { now: () => NOW });
}, 60_000);
afterAll(async () => {
  await service.close();
  await fhir.close();
});
afterEach(() => {
  fhir.setFault(undefined);
});

async function call(s: CdsRequest, svc: TestService = service): Promise<Answer<CdsResponse>> {
  return cds(svc.app).hook(SERVICE_FOR_HOOK[s.hook], s);
}

function requestFor(s: Scenario, prefetch: 'full' | 'none', server?: string): CdsRequest {
  return scenarioRequest(s, service.registry, {
    prefetch,
    ...(server !== undefined ? { fhirServer: server, token: TOKEN } : {}),
  });
}

/** The topics a set of cards keeps when these types are unknown: those whose rules need none of them. */
function withoutRulesNeeding(topics: readonly string[], unknown: readonly string[]): string[] {
  return topics.filter((t) => !RULES.some((r) => r.topic === t && r.needs.some((n) => unknown.includes(n)))).sort();
}

/** The last log line naming unknown types, from `mark` on. */
function unknownLine(svc: TestService, mark: number): Record<string, unknown> | undefined {
  return svc.logs
    .lines()
    .slice(mark)
    .find((l) => l['unknownKeys'] !== undefined);
}

/** The largest Synthea record as a patient-view call. */
function syntheaRequest(): CdsRequest {
  const resources = (largest?.bundle.entry ?? []).map((e) => e.resource as FhirResource);
  const patient = resources.find((r) => r.resourceType === 'Patient') as Scenario['patient'];
  const s: Scenario = {
    name: largest?.name ?? '',
    title: '',
    description: '',
    hook: 'patient-view',
    patient,
    patientId: largest?.patientId ?? '',
    resources: resources.filter((r) => r !== patient),
    expect: { topics: [] },
  };
  return requestFor(s, 'full');
}

/** Prefetch as the CDS Hooks sandbox and Medplum send it: each template run on the server, its first page only. */
async function firstPagePrefetch(req: CdsRequest): Promise<Record<string, unknown>> {
  const definition = service.registry.get(SERVICE_FOR_HOOK[req.hook]);
  const out: Record<string, unknown> = {};
  for (const [key, template] of Object.entries(definition?.prefetch ?? {})) {
    const url = `${fhir.url}/${fillTemplate(template, req.context)}`;
    out[key] = await (await fetch(url)).json();
  }
  return out;
}

describe('a prefetch that is the first page of 20, with next links (the sandbox, Medplum)', () => {
  let full: Answer<CdsResponse>;
  let paged: Record<string, unknown>;
  beforeAll(async () => {
    full = await call(syntheaRequest());
    // The largest record's chart is dormant today: only the medication-safety card, which reads the Observations
    // (age) and MedicationRequests that the paged prefetch splits.
    expect(full.body.cards.map((c) => c.source.topic?.code)).toEqual(['nsaid-gastroprotection']);
    paged = await firstPagePrefetch(syntheaRequest());
    const observations = paged['observations'] as Bundle;
    expect(observations.entry).toHaveLength(20);
    expect(observations.link?.some((l) => l.relation === 'next')).toBe(true);
  });

  test('with fhirServer and a token: the next pages are followed, with the token; the same cards', async () => {
    const req = { ...syntheaRequest(), prefetch: structuredClone(paged) };
    req.fhirServer = fhir.url;
    req.fhirAuthorization = { access_token: TOKEN, token_type: 'Bearer', expires_in: 300, scope: 'user/*.read', subject: 'x' };
    const before = fhir.requests.length;
    const res = await call(req);
    expect(res.status).toBe(200);
    expect(normalisedCards(res.body)).toEqual(normalisedCards(full.body));
    const sent = fhir.requests.slice(before);
    expect(sent.length).toBeGreaterThan(10);
    for (const r of sent) {
      expect(r.path).toContain('_offset=');
      expect(r.authorization).toBe(`Bearer ${TOKEN}`);
    }
  });

  test('with fhirServer and no fhirAuthorization (an open server): followed without a token; the same cards', async () => {
    const req: CdsRequest = {
      ...syntheaRequest(),
      prefetch: structuredClone(paged),
      fhirServer: fhir.url,
    };
    const before = fhir.requests.length;
    const res = await call(req);
    expect(res.status).toBe(200);
    expect(normalisedCards(res.body)).toEqual(normalisedCards(full.body));
    const sent = fhir.requests.slice(before);
    expect(sent.length).toBeGreaterThan(10);
    for (const r of sent) expect(r.authorization).toBeUndefined();
  });

  test('without fhirServer: 200 (not 412), the paged types unknown, only the cards that do not need them', async () => {
    const req: CdsRequest = { ...syntheaRequest(), prefetch: structuredClone(paged) };
    const mark = service.logs.lines().length;
    const res = await call(req);
    expect(res.status).toBe(200);
    const paging = Object.entries(paged)
      .filter(([, b]) => (b as Bundle).link?.some((l) => l.relation === 'next') === true)
      .map(([k]) => k);
    expect(paging).toEqual(expect.arrayContaining(['observations']));
    const unknown = unknownLine(service, mark)?.['unknownTypes'] as string[];
    expect(unknown).toEqual(expect.arrayContaining(['Observation']));
    const kept = withoutRulesNeeding(topicsOf(full.body.cards), unknown);
    // not trivially empty: the record's medication-safety card does not need the paged Observations (a card that
    // does is held back: the ImagingStudy 404 tests below show that side)
    expect(kept).toEqual(['nsaid-gastroprotection']);
    expect(topicsOf(res.body.cards)).toEqual(kept);
  });
});

describe('a FHIR server without ImagingStudy (404), in fetch and in prefetch mode', () => {
  const expected = withoutRulesNeeding(scenario.expect.topics, ['ImagingStudy']);

  test('fetch: the 404 search leaves ImagingStudy unknown; radiographs-first is not made, the rest is', async () => {
    expect(expected).toEqual(['exercise-program-review']);
    fhir.setFault((r) =>
      r.path.startsWith('ImagingStudy')
        ? {
            status: 404,
            body: JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-supported' }] }),
          }
        : undefined,
    );
    const mark = service.logs.lines().length;
    const res = await call(requestFor(scenario, 'none', fhir.url));
    expect(res.status).toBe(200);
    expect(topicsOf(res.body.cards)).toEqual(expected);
    expect(unknownLine(service, mark)?.['unknownKeys']).toEqual({ imagingStudies: 'the FHIR server rejected the query (404)' });
  });

  test('prefetch: the EHR sends its 404 OperationOutcome for the key and no fhirServer: the same answer', async () => {
    const req = requestFor(scenario, 'full');
    (req.prefetch as Record<string, unknown>)['imagingStudies'] = {
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'error', code: 'not-found', diagnostics: 'ImagingStudy is not supported' }],
    };
    const res = await call(req);
    expect(res.status).toBe(200);
    expect(topicsOf(res.body.cards)).toEqual(expected);
  });
});

describe('POST _search refused (405): asked again with GET', () => {
  test('every search goes as POST first (long URLs), then as GET; the same cards', async () => {
    const posting = await testService(
      {},
      { now: () => NOW, fetcher: new FhirHttpFetcher({ maxPages: 5, pageSize: 200, maxGetUrlLength: 1 }) },
    );
    try {
      fhir.setFault((r) => (r.method === 'POST' ? { status: 405, body: '', contentType: 'text/plain' } : undefined));
      const before = fhir.requests.length;
      const res = await call(requestFor(scenario, 'none', fhir.url), posting);
      expect(res.status).toBe(200);
      expect(topicsOf(res.body.cards)).toEqual([...scenario.expect.topics].sort());
      const sent = fhir.requests.slice(before);
      const posts = sent.filter((r) => r.method === 'POST');
      expect(posts.map((r) => r.path).sort()).toEqual(
        ['Condition', 'DiagnosticReport', 'ImagingStudy', 'MedicationRequest', 'Observation', 'Procedure', 'ServiceRequest'].map(
          (t) => `${t}/_search`,
        ),
      );
      for (const p of posts) {
        const type = p.path.split('/')[0] ?? '';
        expect(sent.some((g) => g.method === 'GET' && g.path.startsWith(`${type}?patient=`) && g.at >= p.at)).toBe(true);
      }
    } finally {
      await posting.close();
    }
  });
});

describe('caps', () => {
  test('a gzip answer that inflates past FHIR_MAX_RESPONSE_BYTES (20 MB) is stopped while read: its type unknown', async () => {
    // 30 MB of JSON in about 30 KB of gzip.
    const bomb = gzipSync(
      Buffer.from(`{"resourceType":"Bundle","type":"searchset","entry":[],"padding":"${' '.repeat(30 * 1024 * 1024)}"}`),
    );
    expect(bomb.length).toBeLessThan(200_000);
    fhir.setFault((r) =>
      r.path.startsWith('DiagnosticReport')
        ? { status: 200, body: bomb, contentType: 'application/fhir+json', headers: { 'Content-Encoding': 'gzip' } }
        : undefined,
    );
    const mark = service.logs.lines().length;
    const res = await call(requestFor(scenario, 'none', fhir.url));
    expect(res.status).toBe(200);
    expect(topicsOf(res.body.cards)).toEqual(withoutRulesNeeding(scenario.expect.topics, ['DiagnosticReport']));
    expect(unknownLine(service, mark)?.['unknownKeys']).toEqual({
      diagnosticReports: `the answer is larger than ${20 * 1024 * 1024} bytes (FHIR_MAX_RESPONSE_BYTES)`,
    });
  });

  test.each([
    ['with Content-Length', {}],
    ['streamed (chunked, no Content-Length)', { 'Transfer-Encoding': 'chunked' }],
  ])('a plain answer over FHIR_MAX_RESPONSE_BYTES (64kb here), %s: its type unknown', async (_what, headers) => {
    const small = await testService({ FHIR_MAX_RESPONSE_BYTES: '64kb' }, { now: () => NOW });
    try {
      const body = JSON.stringify({ resourceType: 'Bundle', type: 'searchset', entry: [], padding: 'x'.repeat(200_000) });
      fhir.setFault((r) => (r.path.startsWith('DiagnosticReport') ? { status: 200, body, headers } : undefined));
      const mark = small.logs.lines().length;
      const res = await call(requestFor(scenario, 'none', fhir.url), small);
      expect(res.status).toBe(200);
      expect(unknownLine(small, mark)?.['unknownKeys']).toEqual({
        diagnosticReports: 'the answer is larger than 65536 bytes (FHIR_MAX_RESPONSE_BYTES)',
      });
    } finally {
      await small.close();
    }
  });

  test('a body that says gzip and is not: the server sends garbage, 412 naming the query', async () => {
    fhir.setFault((r) =>
      r.path.startsWith('Condition')
        ? { status: 200, body: 'not gzip at all', contentType: 'application/fhir+json', headers: { 'Content-Encoding': 'gzip' } }
        : undefined,
    );
    const res = await call(requestFor(scenario, 'none', fhir.url));
    expect(res.status).toBe(412);
    expect(JSON.stringify(res.body)).toContain('the FHIR server sent a body that does not decompress');
  });

  test('a gzip answer within the cap is read like any other', async () => {
    const conditions = (requestFor(scenario, 'full').prefetch as Record<string, unknown>)['conditions'];
    fhir.setFault((r) =>
      r.path.startsWith('Condition')
        ? {
            status: 200,
            body: gzipSync(Buffer.from(JSON.stringify(conditions))),
            contentType: 'application/fhir+json',
            headers: { 'Content-Encoding': 'gzip' },
          }
        : undefined,
    );
    const res = await call(requestFor(scenario, 'none', fhir.url));
    expect(res.status).toBe(200);
    expect(topicsOf(res.body.cards)).toEqual([...scenario.expect.topics].sort());
  });

  const manyObservations = (n: number): Bundle => ({
    resourceType: 'Bundle',
    type: 'searchset',
    entry: Array.from({ length: n }, (_, i) => ({
      resource: {
        resourceType: 'Observation',
        id: `o${i}`,
        status: 'final',
        code: { text: 'x' },
        subject: { reference: `Patient/${scenario.patientId}` },
      },
    })),
  });

  test('a 20,000-entry Bundle from the server is over FHIR_MAX_ENTRIES (10,000): its type unknown', async () => {
    const body = JSON.stringify(manyObservations(20_000));
    fhir.setFault((r) => (r.path.startsWith('Observation') ? { status: 200, body } : undefined));
    const mark = service.logs.lines().length;
    const res = await call(requestFor(scenario, 'none', fhir.url));
    expect(res.status).toBe(200);
    expect(topicsOf(res.body.cards)).toEqual(withoutRulesNeeding(scenario.expect.topics, ['Observation']));
    expect(unknownLine(service, mark)?.['unknownKeys']).toEqual({ observations: 'more than 10000 entries (FHIR_MAX_ENTRIES)' });
  });

  test('a 20,000-entry Bundle in prefetch: the same', async () => {
    const req = requestFor(scenario, 'full');
    (req.prefetch as Record<string, unknown>)['observations'] = manyObservations(20_000);
    const mark = service.logs.lines().length;
    const res = await call(req);
    expect(res.status).toBe(200);
    expect(topicsOf(res.body.cards)).toEqual(withoutRulesNeeding(scenario.expect.topics, ['Observation']));
    expect(unknownLine(service, mark)?.['unknownKeys']).toEqual({ observations: 'more than 10000 entries (FHIR_MAX_ENTRIES)' });
  });

  test('more resources in a call than FHIR_MAX_RESOURCES: the largest key is unknown, the rest is used', async () => {
    const capped = await testService({ FHIR_MAX_RESOURCES: '50' }, { now: () => NOW });
    try {
      const req = requestFor(scenario, 'full');
      (req.prefetch as Record<string, unknown>)['observations'] = manyObservations(60);
      const mark = capped.logs.lines().length;
      const res = await call(req, capped);
      expect(res.status).toBe(200);
      expect(topicsOf(res.body.cards)).toEqual(withoutRulesNeeding(scenario.expect.topics, ['Observation']));
      expect(unknownLine(capped, mark)?.['unknownKeys']).toEqual({
        observations: 'more than 50 resources in the call (FHIR_MAX_RESOURCES)',
      });
    } finally {
      await capped.close();
    }
  });
});

describe("a draft's Medication that is neither in draftOrders nor included", () => {
  test('is read from fhirServer (Medication?_id=), and the draft is judged on its code', async () => {
    const s = loadScenario('acetaminophen-max-dose-2-tablets-every-4-hours', NOW);
    const baseline = await call(requestFor(s, 'full'));
    expect(topicsOf(baseline.body.cards)).toEqual(['acetaminophen-max-dose']);
    const req = requestFor(s, 'full', fhir.url);
    const drafts = (req.context as unknown as { draftOrders: Bundle }).draftOrders;
    const draft = drafts.entry?.find((e) => e.resource?.resourceType === 'MedicationRequest')?.resource as MedicationRequest;
    const medication: Medication = {
      resourceType: 'Medication',
      id: 'draft-apap-medication',
      code: draft.medicationCodeableConcept ?? {},
    };
    await fhir.load({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [{ resource: medication, request: { method: 'PUT', url: 'Medication/draft-apap-medication' } }],
    });
    delete draft.medicationCodeableConcept;
    draft.medicationReference = { reference: 'Medication/draft-apap-medication' };
    const before = fhir.requests.length;
    const res = await call(req);
    expect(res.status).toBe(200);
    expect(topicsOf(res.body.cards)).toEqual(['acetaminophen-max-dose']);
    // The same finding (the suggestion's update echoes the draft, which now names its Medication by reference).
    const said = (r: CdsResponse): unknown => r.cards.map((c) => [c.summary, c.detail]);
    expect(said(res.body)).toEqual(said(baseline.body));
    expect(fhir.requests.slice(before).map((r) => `${r.path} ${r.authorization ?? ''}`)).toEqual([
      `Medication?_id=draft-apap-medication&_count=200 Bearer ${TOKEN}`,
    ]);
  });
});
