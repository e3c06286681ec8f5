import type { Bundle, BundleEntry, MedicationRequest } from 'fhir/r4.js';
import { fixtureBundles, scenarioBundle } from '../../tools/fixtures/fhir-load.js';
import { scenarioRequest, SERVICE_FOR_HOOK } from '../../tools/fixtures/requests.js';
import { loadScenario, type Scenario } from '../../tools/fixtures/scenarios.js';
import { withMedicationReferences } from '../../tools/fixtures/variants.js';
import type { CdsRequest, CdsResponse } from '../../src/cds/types.js';
import { startFhirServer, type RunningFhirServer } from '../../tools/fhir-server/index.js';
import { cds, topicsOf, type Answer, normalisedCards } from '../helpers/cds-client.js';
import { testService, type TestService } from '../helpers/service.js';

/**
 * Only the patient's own data counts (docs/clinical-spec.md §1), wherever data enters: another patient's resources
 * in prefetch, in the FHIR server's answers (a lenient server that ignores `patient` answers every patient's
 * resources), among `_include`d Medications, and in draftOrders. The cards must be exactly those of the patient
 * alone, no suggestion may reference the other patient's Condition, and the log counts what was dropped by type,
 * never with an id. Against the real FHIR engine (tools/fhir-server), loaded with every fixture patient.
 */

const NOW = new Date();
const TOKEN = 'own-data-token-73b1';
const patient = loadScenario('radiographs-first-pain-better-by-1-point', NOW);
// Another patient with a negative hip radiograph report and a hip condition: with their data, radiographs-first
// would turn into mri-without-contrast (the defect this guards against).
const other = loadScenario('mri-without-contrast-after-negative-radiograph', NOW);
const medref = withMedicationReferences(loadScenario('add-duloxetine-nsaid-and-acetaminophen', NOW));
// Another patient whose MedicationRequests reference Medications too: an `_include` brings theirs.
const theirMedref = withMedicationReferences(loadScenario('add-acetaminophen-nsaid-alone', NOW), '-theirs');

let fhir: RunningFhirServer;
let lenient: RunningFhirServer;
let service: TestService;

beforeAll(async () => {
  const seed = [...fixtureBundles(NOW), scenarioBundle(medref), scenarioBundle(theirMedref)].map((f) => f.bundle);
  fhir = await startFhirServer({ seed });
  // A server that does not support `patient` on these searches and ignores it (no Prefer: handling=strict).
  lenient = await startFhirServer({
    seed,
    strictHandling: false,
    unsupportedSearchParams: {
      Condition: ['patient'],
      DiagnosticReport: ['patient'],
      MedicationRequest: ['patient'],
      Procedure: ['patient'],
    },
  });
  service = await testService({}, { now: () => NOW });
}, 120_000);
afterAll(async () => {
  await service.close();
  await fhir.close();
  await lenient.close();
});

async function call(s: CdsRequest): Promise<Answer<CdsResponse>> {
  return cds(service.app).hook(SERVICE_FOR_HOOK[s.hook], s);
}

function requestFor(s: Scenario, prefetch: 'full' | 'none', server?: string): CdsRequest {
  return scenarioRequest(s, service.registry, {
    prefetch,
    ...(server !== undefined ? { fhirServer: server, token: TOKEN } : {}),
  });
}

/** Every reference of every suggested resource's reasonReference. */
function reasonReferences(res: CdsResponse): string[] {
  return res.cards.flatMap((c) =>
    (c.suggestions ?? []).flatMap((sg) =>
      (sg.actions ?? []).flatMap((a) => {
        const r = a.resource as { reasonReference?: { reference?: string }[] } | undefined;
        return (r?.reasonReference ?? []).map((x) => x.reference ?? '');
      }),
    ),
  );
}

const entriesOf = (b: unknown): BundleEntry[] => ((b as Bundle | null)?.entry ?? []).slice();

/** Log lines of the service from `mark` on. */
const linesFrom = (mark: number): Record<string, unknown>[] => service.logs.lines().slice(mark);

let alone: CdsResponse;
beforeAll(async () => {
  const res = await call(requestFor(patient, 'full'));
  expect(topicsOf(res.body.cards)).toEqual(['exercise-program-review', 'radiographs-first']);
  expect(reasonReferences(res.body).length).toBeGreaterThan(0);
  alone = res.body;
});

test("another patient's resources in prefetch are dropped: the same cards, and the log counts them by type", async () => {
  const req = requestFor(patient, 'full');
  const theirs = requestFor(other, 'full').prefetch as Record<string, Bundle>;
  const prefetch = req.prefetch as Record<string, Bundle>;
  const reports = entriesOf(theirs['diagnosticReports']);
  const conditions = entriesOf(theirs['conditions']);
  expect(reports.length).toBeGreaterThan(0);
  expect(conditions.length).toBeGreaterThan(0);
  // Theirs first: a service that took the first hip condition would reference theirs.
  prefetch['diagnosticReports'] = {
    ...(prefetch['diagnosticReports'] as Bundle),
    entry: [...reports, ...entriesOf(prefetch['diagnosticReports'])],
  };
  prefetch['conditions'] = {
    ...(prefetch['conditions'] as Bundle),
    entry: [...conditions, { resource: other.patient }, ...entriesOf(prefetch['conditions'])],
  };
  const mark = service.logs.lines().length;
  const res = await call(req);
  expect(res.status).toBe(200);
  expect(normalisedCards(res.body)).toEqual(normalisedCards(alone));
  for (const ref of reasonReferences(res.body)) expect(ref).not.toContain(other.patientId);
  const line = linesFrom(mark).find((l) => l['otherPatient'] !== undefined && l['msg'] === "dropped another patient's resources");
  expect(line?.['otherPatient']).toEqual({ DiagnosticReport: reports.length, Condition: conditions.length, Patient: 1 });
  expect(JSON.stringify(linesFrom(mark))).not.toContain(other.patientId);
});

test('a Patient resource of another id in prefetch.patient: 412, nothing decided on it', async () => {
  const req = requestFor(patient, 'full');
  (req.prefetch as Record<string, unknown>)['patient'] = other.patient;
  const res = await call(req);
  expect(res.status).toBe(412);
  expect(JSON.stringify(res.body)).toContain('prefetch.patient is the Patient resource of another patient');
});

test("a FHIR server that answers every patient's resources (it ignores `patient`): the same cards, theirs dropped", async () => {
  const full = await call(requestFor(patient, 'full'));
  const mark = service.logs.lines().length;
  const res = await call(requestFor(patient, 'none', lenient.url));
  expect(res.status).toBe(200);
  expect(normalisedCards(res.body)).toEqual(normalisedCards(full.body));
  const own = new Set(patient.resources.map((r) => `${r.resourceType}/${r.id ?? ''}`));
  for (const ref of reasonReferences(res.body)) expect(own.has(ref.replace(/^.*\/(\w+\/[^/]+)$/, '$1'))).toBe(true);
  const dropped = linesFrom(mark).find((l) => l['otherPatient'] !== undefined)?.['otherPatient'] as Record<string, number>;
  expect(dropped['Condition']).toBeGreaterThan(10);
  expect(dropped['DiagnosticReport']).toBeGreaterThan(5);
});

test("_include of every patient's MedicationRequests: their Medications are dropped, ours kept, the same cards", async () => {
  const full = await call(requestFor(medref, 'full'));
  expect(full.body.cards.length).toBeGreaterThan(0);
  const mark = service.logs.lines().length;
  const res = await call(requestFor(medref, 'none', lenient.url));
  expect(res.status).toBe(200);
  expect(normalisedCards(res.body)).toEqual(normalisedCards(full.body));
  const dropped = linesFrom(mark).find((l) => l['otherPatient'] !== undefined)?.['otherPatient'] as Record<string, number>;
  expect(dropped['MedicationRequest']).toBeGreaterThan(10);
  const theirMedications = theirMedref.resources.filter((r) => r.resourceType === 'Medication').length;
  expect(theirMedications).toBeGreaterThan(0);
  expect(dropped['Medication']).toBe(theirMedications);
});

test('with strict handling the same server refuses the search it cannot do: unknown types, never their data', async () => {
  const strict = await startFhirServer({
    seed: [scenarioBundle(patient).bundle, scenarioBundle(other).bundle],
    unsupportedSearchParams: { DiagnosticReport: ['patient'] },
  });
  try {
    const mark = service.logs.lines().length;
    const res = await call(requestFor(patient, 'none', strict.url));
    expect(res.status).toBe(200);
    // radiographs-first needs DiagnosticReport: not made; exercise-program-review does not.
    expect(topicsOf(res.body.cards)).toEqual(['exercise-program-review']);
    expect(strict.requests.find((r) => r.path.startsWith('DiagnosticReport'))?.prefer).toBe('handling=strict');
    expect(linesFrom(mark).find((l) => l['unknownKeys'] !== undefined)?.['unknownKeys']).toEqual({
      diagnosticReports: 'the FHIR server rejected the query (400)',
    });
  } finally {
    await strict.close();
  }
});

test("another patient's draft orders are not judged: the same cards, and the log counts them", async () => {
  const sign = loadScenario('avoid-opioids-tramadol-for-hip-oa', NOW);
  const baseline = await call(requestFor(sign, 'full'));
  expect(baseline.body.cards.length).toBeGreaterThan(0);
  const req = requestFor(sign, 'full');
  const drafts = (req.context as unknown as { draftOrders: Bundle }).draftOrders;
  // Their drafts: the same orders, for another patient (an opioid and whatever else this scenario orders).
  const theirs = (drafts.entry ?? []).map((e) => ({
    resource: {
      ...(e.resource as MedicationRequest),
      id: `${e.resource?.id ?? ''}-theirs`,
      subject: { reference: `Patient/${other.patientId}` },
    },
  }));
  drafts.entry = [...theirs, ...(drafts.entry ?? [])];
  if (req.hook === 'order-select') {
    (req.context as unknown as { selections: string[] }).selections.push(
      ...theirs.map((t) => `${t.resource.resourceType}/${t.resource.id}`),
    );
  }
  const mark = service.logs.lines().length;
  const res = await call(req);
  expect(res.status).toBe(200);
  expect(normalisedCards(res.body)).toEqual(normalisedCards(baseline.body));
  expect(JSON.stringify(res.body)).not.toContain('-theirs');
  // The drafts were typed as MedicationRequests to be copied; what they are is read from the data.
  const kinds: string[] = theirs.map((t) => t.resource.resourceType);
  const count = (kind: string): number => kinds.filter((k) => k === kind).length;
  expect(linesFrom(mark).find((l) => l['otherPatient'] !== undefined)?.['otherPatient']).toEqual({
    MedicationRequest: count('MedicationRequest'),
    ...(count('ServiceRequest') > 0 ? { ServiceRequest: count('ServiceRequest') } : {}),
  });
});
