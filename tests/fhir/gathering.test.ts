import type { Bundle, FhirResource, OperationOutcome } from 'fhir/r4.js';
import { fixtureBundles, scenarioBundle, syntheaBundle, syntheaNames } from '../../tools/fixtures/fhir-load.js';
import { scenarioRequest, SERVICE_FOR_HOOK } from '../../tools/fixtures/requests.js';
import { loadScenario, type Scenario, scenarioNames } from '../../tools/fixtures/scenarios.js';
import { withMedicationReferences } from '../../tools/fixtures/variants.js';
import type { CdsRequest, CdsResponse } from '../../src/cds/types.js';
import { startFhirServer, type RunningFhirServer } from '../../tools/fhir-server/index.js';
import { cds, topicsOf, type Answer, normalisedCards } from '../helpers/cds-client.js';
import { testService, type TestService } from '../helpers/service.js';

/**
 * Data gathering against a real FHIR engine (Medplum's, in memory, over HTTP: tools/fhir-server), loaded with
 * fhir-fixtures. Every fixture patient is sent twice, with full prefetch and with none (the service then queries
 * the server), and must get the same cards. Then: partial prefetch, pages, Medication references, and a FHIR server
 * that is slow, down, refuses the token, fails, or sends garbage: always a 412 OperationOutcome naming the query,
 * never a hang, never the token.
 */

const NOW = new Date();
const TOKEN = 'secret-access-token-4f1c9a';
const variant = withMedicationReferences(loadScenario('add-duloxetine-nsaid-and-acetaminophen', NOW));

let fhir: RunningFhirServer;
let service: TestService;

beforeAll(async () => {
  fhir = await startFhirServer({ seed: [...fixtureBundles(NOW), scenarioBundle(variant)].map((f) => f.bundle) });
  service = await testService({}, { now: () => NOW });
}, 60_000);
afterAll(async () => {
  await service.close();
  await fhir.close();
});

async function call(s: CdsRequest, svc: TestService = service): Promise<Answer<CdsResponse>> {
  return cds(svc.app).hook(SERVICE_FOR_HOOK[s.hook], s);
}

/** The hook request for a scenario; `server` null = no fhirServer (prefetch only). */
function requestFor(s: Scenario, prefetch: 'full' | 'none', server: string | null = fhir.url): CdsRequest {
  return scenarioRequest(s, service.registry, { prefetch, ...(server !== null ? { fhirServer: server, token: TOKEN } : {}) });
}

function issue(body: unknown): { code?: string; diagnostics?: string; expression?: string[] } {
  return (body as OperationOutcome).issue[0] as never;
}

/** Patient record of a Synthea fixture as a pseudo-scenario (patient-view, no drafts). */
function syntheaScenario(name: string): Scenario {
  const f = syntheaBundle(name);
  const resources = (f.bundle.entry ?? []).map((e) => e.resource as FhirResource);
  const patient = resources.find((r) => r.resourceType === 'Patient') as Scenario['patient'];
  return {
    name,
    title: name,
    description: '',
    hook: 'patient-view',
    patient,
    patientId: f.patientId,
    resources: resources.filter((r) => r !== patient),
    expect: { topics: [] },
  };
}

describe('the same cards with full prefetch and with none', () => {
  const fixtures = [
    ...scenarioNames().map((n) => ({ name: n, kind: 'scenario' as const })),
    ...syntheaNames().map((n) => ({ name: n, kind: 'synthea' as const })),
  ];
  const withCards: string[] = [];
  afterAll(() => {
    // Not a trivially equal comparison: most fixtures give cards.
    expect(withCards.length).toBeGreaterThan(fixtures.length / 2);
  });

  test.each(fixtures)('$kind $name', async ({ name, kind }) => {
    const s = kind === 'scenario' ? loadScenario(name, NOW) : syntheaScenario(name);
    const full = await call(requestFor(s, 'full', null));
    const before = fhir.requests.length;
    const none = await call(requestFor(s, 'none'));
    expect(full.status).toBe(200);
    expect(none.status).toBe(200);
    // Every key came from the FHIR server: eight queries (and their next pages), each with the token.
    const sent = fhir.requests.slice(before);
    expect(sent.filter((r) => !r.path.includes('_offset='))).toHaveLength(8);
    for (const r of sent) expect(r.authorization).toBe(`Bearer ${TOKEN}`);
    expect(topicsOf(none.body.cards)).toEqual(topicsOf(full.body.cards));
    expect(normalisedCards(none.body)).toEqual(normalisedCards(full.body));
    if (kind === 'scenario') expect(topicsOf(none.body.cards)).toEqual([...s.expect.topics].sort());
    if (none.body.cards.length > 0) withCards.push(name);
  });
});

describe('queries', () => {
  const s = loadScenario('radiographs-first-pain-better-by-1-point', NOW);

  test('go all at once, one round trip: with 150 ms per answer, the call takes about 150 ms, not 8 x 150', async () => {
    fhir.setDelay(150);
    try {
      const before = fhir.requests.length;
      const t0 = performance.now();
      const res = await call(requestFor(s, 'none'));
      const ms = performance.now() - t0;
      expect(res.status).toBe(200);
      const sent = fhir.requests.slice(before);
      expect(sent).toHaveLength(8);
      const spread = Math.max(...sent.map((r) => r.at)) - Math.min(...sent.map((r) => r.at));
      expect(spread).toBeLessThan(100);
      expect(ms).toBeLessThan(2 * 150 + 250);
    } finally {
      fhir.setDelay(0);
    }
  });

  test('are the prefetch templates with the tokens filled, all short enough for GET, searches with Prefer: handling=strict', async () => {
    const before = fhir.requests.length;
    await call(requestFor(s, 'none'));
    const sent = fhir.requests.slice(before).map((r) => `${r.method} ${r.path.split('?')[0] ?? ''}`);
    expect(sent.sort()).toEqual(
      [
        `GET Patient/${s.patientId}`,
        'GET Condition',
        'GET Observation',
        'GET MedicationRequest',
        'GET Procedure',
        'GET ServiceRequest',
        'GET DiagnosticReport',
        'GET ImagingStudy',
      ].sort(),
    );
    const conditions = fhir.requests.slice(before).find((r) => r.path.startsWith('Condition?'));
    expect(conditions?.path).toBe(`Condition?patient=${s.patientId}&_count=200`);
    for (const r of fhir.requests.slice(before))
      expect(r.prefer).toBe(r.path.startsWith('Patient/') ? undefined : 'handling=strict');
  });

  test('partial prefetch: only what is absent, null or an OperationOutcome is fetched, and the cards are the same', async () => {
    const full = requestFor(s, 'full');
    const partial = structuredClone(full);
    const prefetch = partial.prefetch as Record<string, unknown>;
    delete prefetch['conditions'];
    prefetch['procedures'] = null;
    prefetch['observations'] = {
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'error', code: 'timeout', diagnostics: 'the EHR could not prefetch this' }],
    };
    const before = fhir.requests.length;
    const [a, b] = [await call(full), await call(partial)];
    const sent = fhir.requests.slice(before).map((r) => r.path.split('?')[0]);
    expect(sent.sort()).toEqual(['Condition', 'Observation', 'Procedure'].sort());
    expect(b.status).toBe(200);
    expect(normalisedCards(b.body)).toEqual(normalisedCards(a.body));
    expect(topicsOf(b.body.cards)).toEqual([...s.expect.topics].sort());
  });

  test('a patient the server does not have: the read answers 404, every search is empty, no card', async () => {
    const unknown = { ...s, patientId: 'not-on-this-server' };
    const before = fhir.requests.length;
    const res = await call(requestFor(unknown, 'none'));
    expect(res.status).toBe(200);
    expect(res.body.cards).toEqual([]);
    expect(fhir.requests.slice(before)).toHaveLength(8);
  });

  test('full prefetch with a fhirServer: the server is not called', async () => {
    const before = fhir.requests.length;
    const res = await call(requestFor(s, 'full'));
    expect(res.status).toBe(200);
    expect(fhir.requests.length).toBe(before);
  });
});

describe('pages', () => {
  const s = loadScenario('add-duloxetine-nsaid-and-acetaminophen', NOW);
  let expected: unknown;
  beforeAll(async () => {
    expected = normalisedCards((await call(requestFor(s, 'full', null))).body);
  });

  test('with one resource per page (FHIR_PAGE_SIZE=1), every next page is followed and the cards are the same', async () => {
    const small = await testService({ FHIR_PAGE_SIZE: '1', FHIR_MAX_PAGES: '20' }, { now: () => NOW });
    try {
      // One more page for every match after the first, in each search.
      const prefetch = requestFor(s, 'full', null).prefetch as Record<string, Bundle | null>;
      const expectedPages = Object.values(prefetch)
        .map((b) => (b?.resourceType === 'Bundle' ? (b.entry ?? []).filter((e) => e.search?.mode === 'match').length : 0))
        .reduce((sum, n) => sum + Math.max(0, n - 1), 0);
      expect(expectedPages).toBeGreaterThanOrEqual(3);
      const before = fhir.requests.length;
      const res = await call(requestFor(s, 'none'), small);
      expect(res.status).toBe(200);
      expect(normalisedCards(res.body)).toEqual(expected);
      const sent = fhir.requests.slice(before);
      expect(sent.filter((r) => r.path.includes('_offset='))).toHaveLength(expectedPages);
      expect(sent).toHaveLength(8 + expectedPages);
      for (const p of sent) expect(p.authorization).toBe(`Bearer ${TOKEN}`);
    } finally {
      await small.close();
    }
  });

  test('a server that caps the page size below _count is paged too', async () => {
    const capped = await startFhirServer({ maxCount: 1, seed: [scenarioBundle(s).bundle] });
    try {
      const res = await call(requestFor(s, 'none', capped.url));
      expect(res.status).toBe(200);
      expect(normalisedCards(res.body)).toEqual(expected);
      expect(capped.requests.some((r) => r.path.includes('_offset=1'))).toBe(true);
    } finally {
      await capped.close();
    }
  });

  test('more pages than FHIR_MAX_PAGES: never a partial list; those types are unknown, the rest answers', async () => {
    const small = await testService({ FHIR_PAGE_SIZE: '1', FHIR_MAX_PAGES: '1' }, { now: () => NOW });
    // A server of its own: the queries still running may arrive after the answer.
    const own = await startFhirServer({ seed: [scenarioBundle(s).bundle] });
    try {
      const res = await call(requestFor(s, 'none', own.url), small);
      expect(res.status).toBe(200);
      const line = small.logs.lines().find((l) => l['unknownTypes'] !== undefined);
      // Every search with more than one match.
      expect(line?.['unknownTypes']).toEqual(expect.arrayContaining(['MedicationRequest', 'Observation']));
      expect(Object.values(line?.['unknownKeys'] as Record<string, string>)).toContain(
        'more than 1 pages of results (FHIR_MAX_PAGES)',
      );
      // add-duloxetine needs Condition and MedicationRequest: not made from a partial list.
      expect(topicsOf(res.body.cards)).not.toContain('add-duloxetine');
    } finally {
      await small.close();
      await own.close();
    }
  });

  test('a prefetch Bundle with a next link: the rest is fetched from the server', async () => {
    const full = requestFor(s, 'full');
    const prefetch = full.prefetch as Record<string, Bundle>;
    const meds = prefetch['medications'] as Bundle;
    const first = (meds.entry ?? []).slice(0, 1);
    expect((meds.entry ?? []).length).toBeGreaterThan(1);
    prefetch['medications'] = {
      ...meds,
      entry: first,
      link: [
        {
          relation: 'next',
          url: `${fhir.url}/MedicationRequest?patient=${s.patientId}&status=active,on-hold&_count=1&_offset=1`,
        },
      ],
    };
    const before = fhir.requests.length;
    const res = await call(full);
    expect(res.status).toBe(200);
    expect(normalisedCards(res.body)).toEqual(expected);
    expect(fhir.requests.slice(before).map((r) => r.path)).toEqual([
      `MedicationRequest?patient=${s.patientId}&status=active,on-hold&_count=1&_offset=1`,
    ]);
  });
});

describe('a prefetch next link elsewhere', () => {
  test('is not followed: the other server receives nothing, and the type is unknown (no card that needs it)', async () => {
    const s = loadScenario('add-duloxetine-nsaid-and-acetaminophen', NOW);
    const elsewhere = await startFhirServer({ seed: [scenarioBundle(s).bundle] });
    try {
      const req = requestFor(s, 'full');
      const meds = (req.prefetch as Record<string, Bundle>)['medications'] as Bundle;
      meds.link = [{ relation: 'next', url: `${elsewhere.url}/MedicationRequest?patient=${s.patientId}&_offset=1` }];
      const res = await call(req);
      expect(res.status).toBe(200);
      expect(topicsOf(res.body.cards)).not.toContain('add-duloxetine');
      expect(elsewhere.requests).toEqual([]);
    } finally {
      await elsewhere.close();
    }
  });
});

describe('Medication references', () => {
  const original = loadScenario('add-duloxetine-nsaid-and-acetaminophen', NOW);
  let expected: unknown;
  beforeAll(async () => {
    // The variant (codes moved to referenced Medications, ids renamed) with full prefetch, as a conformant EHR
    // sends it: the Medications included. It concludes what the original does.
    const res = await call(requestFor(variant, 'full', null));
    expect(topicsOf(res.body.cards)).toEqual([...original.expect.topics].sort());
    expected = normalisedCards(res.body);
  });

  test('without prefetch, the _include brings them: same cards as with codes inline', async () => {
    const before = fhir.requests.length;
    const res = await call(requestFor(variant, 'none'));
    expect(res.status).toBe(200);
    expect(normalisedCards(res.body)).toEqual(expected);
    expect(fhir.requests.length - before).toBe(8);
  });

  test('prefetch without the included Medications: one batch read, same cards', async () => {
    const req = requestFor(variant, 'full');
    const meds = (req.prefetch as Record<string, Bundle>)['medications'] as Bundle;
    const included = (meds.entry ?? []).filter((e) => e.resource?.resourceType === 'Medication');
    expect(included.length).toBeGreaterThan(1);
    meds.entry = (meds.entry ?? []).filter((e) => e.resource?.resourceType !== 'Medication');
    const before = fhir.requests.length;
    const res = await call(req);
    expect(res.status).toBe(200);
    expect(normalisedCards(res.body)).toEqual(expected);
    const sent = fhir.requests.slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.path).toMatch(/^Medication\?_id=/);
  });

  test('with neither the Medications nor a fhirServer: still an answer (classified by text), and a log line', async () => {
    const req = requestFor(variant, 'full', null);
    const meds = (req.prefetch as Record<string, Bundle>)['medications'] as Bundle;
    meds.entry = (meds.entry ?? []).filter((e) => e.resource?.resourceType !== 'Medication');
    const res = await call(req);
    expect(res.status).toBe(200);
    expect(service.logs.text()).toContain('Medication references not in prefetch; classifying by text');
  });
});

describe('a FHIR server that fails: 412 naming the query, within the time budget, never the token', () => {
  const s = loadScenario('exercise-therapy-first-new-hip-pain', NOW);
  let failing: RunningFhirServer;
  let fast: TestService;
  beforeAll(async () => {
    failing = await startFhirServer({ seed: [scenarioBundle(s).bundle] });
    fast = await testService({ FHIR_TIMEOUT_MS: '400', LOG_LEVEL: 'trace' }, { now: () => NOW });
  });
  afterAll(async () => {
    await fast.close();
    await failing.close();
  });
  afterEach(() => {
    failing.setFault(undefined);
    failing.setDelay(0);
  });

  async function expect412(code: string, diagnostics: RegExp, server = failing.url): Promise<number> {
    const t0 = performance.now();
    const res = await call(requestFor(s, 'none', server), fast);
    const ms = performance.now() - t0;
    expect(res.status).toBe(412);
    const i = issue(res.body);
    expect(i.code).toBe(code);
    expect(i.expression?.[0]).toMatch(/^prefetch\.\w+$/);
    expect(i.diagnostics).toMatch(/^could not get prefetch\.\w+ from fhirServer \([^)]+\): /);
    expect(i.diagnostics).toMatch(diagnostics);
    const text = JSON.stringify(res.body) + fast.logs.text();
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(s.patientId);
    return ms;
  }

  test('its working answer first (the faults below are the only difference)', async () => {
    const res = await call(requestFor(s, 'none', failing.url), fast);
    expect(res.status).toBe(200);
    expect(topicsOf(res.body.cards)).toEqual([...s.expect.topics].sort());
  });

  test('slow: 412 timeout once the budget (FHIR_TIMEOUT_MS=400) is spent, not when the server answers', async () => {
    failing.setDelay(3000);
    const ms = await expect412('timeout', /no answer within the time budget \(FHIR_TIMEOUT_MS\)$/);
    expect(ms).toBeGreaterThanOrEqual(390);
    expect(ms).toBeLessThan(1500);
  });

  test('accepts the connection and never answers: 412 timeout', async () => {
    failing.setFault(() => 'hang');
    const ms = await expect412('timeout', /time budget/);
    expect(ms).toBeLessThan(1500);
  });

  test('down (connection refused): 412', async () => {
    const gone = await startFhirServer();
    const url = gone.url;
    await gone.close();
    await expect412('transient', /the FHIR server could not be reached or closed the connection \(ECONNREFUSED\)$/, url);
  });

  test('closes the connection without an answer: 412', async () => {
    failing.setFault(() => 'reset');
    await expect412('transient', /could not be reached or closed the connection/);
  });

  test.each([401, 403])('answers %i: 412 naming the refused token (but not the token)', async (status) => {
    failing.setFault(() => ({ status, body: '{"resourceType":"OperationOutcome","issue":[]}' }));
    await expect412('security', new RegExp(`refused the access token \\(${status}\\)$`));
  });

  test.each([500, 503])('answers %i: 412', async (status) => {
    failing.setFault(() => ({ status, body: '<html>upstream error</html>', contentType: 'text/html' }));
    await expect412('transient', new RegExp(`answered ${status}$`));
  });

  test('answers 400 to one query: that type is unknown, the call answers 200 with the cards that do not need it', async () => {
    failing.setFault((r) =>
      r.path.startsWith('ImagingStudy') ? { status: 400, body: '{"resourceType":"OperationOutcome","issue":[]}' } : undefined,
    );
    const mark = fast.logs.lines().length;
    const res = await call(requestFor(s, 'none', failing.url), fast);
    expect(res.status).toBe(200);
    // exercise-therapy-first needs Condition, Procedure and ServiceRequest: not ImagingStudy.
    expect(topicsOf(res.body.cards)).toEqual([...s.expect.topics].sort());
    const line = fast.logs
      .lines()
      .slice(mark)
      .find((l) => l['unknownKeys'] !== undefined);
    expect(line?.['unknownKeys']).toEqual({ imagingStudies: 'the FHIR server rejected the query (400)' });
    expect(fast.logs.text()).not.toContain(TOKEN);
  });

  test.each([
    ['truncated JSON', '{"resourceType":"Bundle","entry":[', 'application/fhir+json', /not JSON$/],
    ['an HTML page', '<html><body>Login</body></html>', 'text/html', /not JSON$/],
    ['a JSON array', '[1,2,3]', 'application/json', /did not answer a JSON object$/],
    [
      'a resource that is not a Bundle',
      '{"resourceType":"Patient","id":"x"}',
      'application/fhir+json',
      /a Patient, not a Bundle$/,
    ],
    ['a Bundle for a read', '{"resourceType":"Bundle","type":"searchset"}', 'application/fhir+json', /a Bundle, not a Patient$/],
  ])('sends garbage (%s) with 200: 412', async (what, body, contentType, message) => {
    const target = what === 'a Bundle for a read' ? 'Patient/' : 'Condition';
    failing.setFault((r) => (r.path.startsWith(target) ? { status: 200, body, contentType } : undefined));
    await expect412('structure', message);
  });

  test('a search answer carrying an error OperationOutcome: Condition unknown, no card that needs it', async () => {
    failing.setFault((r) =>
      r.path.startsWith('Condition')
        ? {
            status: 200,
            body: JSON.stringify({
              resourceType: 'Bundle',
              type: 'searchset',
              entry: [
                {
                  resource: { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'too-costly' }] },
                  search: { mode: 'outcome' },
                },
              ],
            }),
          }
        : undefined,
    );
    const mark = fast.logs.lines().length;
    const res = await call(requestFor(s, 'none', failing.url), fast);
    expect(res.status).toBe(200);
    expect(res.body.cards).toEqual([]); // exercise-therapy-first needs Condition
    expect(
      fast.logs
        .lines()
        .slice(mark)
        .some((l) => JSON.stringify(l['unknownTypes']) === '["Condition"]'),
    ).toBe(true);
  });

  test('a next link to another server: not followed (the token stays), 412', async () => {
    const elsewhere = await startFhirServer();
    try {
      failing.setFault((r) =>
        r.path.startsWith('Condition')
          ? {
              status: 200,
              body: JSON.stringify({
                resourceType: 'Bundle',
                type: 'searchset',
                entry: [],
                link: [{ relation: 'next', url: `${elsewhere.url}/Condition?page=2` }],
              }),
            }
          : undefined,
      );
      await expect412('forbidden', /a next link points outside fhirServer; it was not followed$/);
      expect(elsewhere.requests).toEqual([]);
    } finally {
      await elsewhere.close();
    }
  });

  test('a redirect to another server: not followed, 412; a redirect within fhirServer is followed', async () => {
    const elsewhere = await startFhirServer();
    try {
      failing.setFault((r) =>
        r.path.startsWith('Condition')
          ? { status: 302, body: '', contentType: 'text/plain', headers: { Location: `${elsewhere.url}/Condition` } }
          : undefined,
      );
      await expect412('forbidden', /redirected \(302\) outside fhirServer/);
      expect(elsewhere.requests).toEqual([]);

      failing.setFault((r) =>
        r.path.startsWith('Condition?patient=')
          ? {
              status: 307,
              body: '',
              contentType: 'text/plain',
              headers: { Location: `${failing.url}/Condition?subject=Patient/${s.patientId}` },
            }
          : undefined,
      );
      const res = await call(requestFor(s, 'none', failing.url), fast);
      expect(res.status).toBe(200);
      expect(topicsOf(res.body.cards)).toEqual([...s.expect.topics].sort());
      expect(failing.requests.some((r) => r.path.startsWith('Condition?subject=') && r.authorization === `Bearer ${TOKEN}`)).toBe(
        true,
      );
    } finally {
      await elsewhere.close();
    }
  });
});
