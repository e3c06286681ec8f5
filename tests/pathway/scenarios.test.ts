import { loadScenario, scenarioNames } from '../../tools/fixtures/scenarios.js';
import { cds, topicsOf } from '../helpers/cds-client.js';
import { contentProblems, scenarioRequest, SERVICE_FOR_HOOK } from '../helpers/scenario-call.js';
import { testService, type TestService } from '../helpers/service.js';

/**
 * The pathway, scenario by scenario (fhir-fixtures/scenarios): each patient is sent with full prefetch, as an
 * EHR would, and must get exactly the topics its fixture names, none of those it must not, and the content it
 * checks (suggested codes, dose text, the resourceId of a deleted draft).
 */
let service: TestService;
beforeAll(async () => {
  service = await testService();
});
afterAll(async () => {
  await service.close();
});

const names = scenarioNames();

test('there are scenarios for every hook', () => {
  expect(names.length).toBeGreaterThanOrEqual(40);
  expect(new Set(names.map((n) => loadScenario(n, new Date()).hook))).toEqual(
    new Set(['patient-view', 'order-select', 'order-sign']),
  );
});

test('every record resource has a valid FHIR id, unique across scenarios (they share one FHIR server in the demo)', () => {
  const seen = new Map<string, string>();
  const problems: string[] = [];
  for (const name of names) {
    const s = loadScenario(name, new Date());
    for (const r of [s.patient, ...s.resources]) {
      const key = `${r.resourceType}/${r.id ?? ''}`;
      if (!/^[A-Za-z0-9\-.]{1,64}$/.test(r.id ?? '')) problems.push(`${name}: ${key} is not a FHIR id`);
      if (seen.has(key)) problems.push(`${name}: ${key} also in ${seen.get(key) ?? ''}`);
      seen.set(key, name);
    }
  }
  expect(problems).toEqual([]);
});

describe.each(names)('%s', (name) => {
  test('gives exactly its topics, with their content', async () => {
    const s = loadScenario(name, new Date());
    const res = await cds(service.app).hook(SERVICE_FOR_HOOK[s.hook], scenarioRequest(s, service.registry, { prefetch: 'full' }));
    expect(res.status).toBe(200);
    const topics = topicsOf(res.body.cards);
    expect(topics).toEqual([...s.expect.topics].sort());
    for (const check of s.expect.content ?? []) {
      const card = res.body.cards.find((c) => c.source.topic?.code === check.topic);
      expect({ topic: check.topic, problems: contentProblems(card, check) }).toEqual({ topic: check.topic, problems: [] });
    }
  });
});
