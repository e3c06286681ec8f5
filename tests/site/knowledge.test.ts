// The FHIR definitions first: they install the WebSocket shim that @medplum/core needs when it loads.
import { loadFhirDefinitions } from '../../tools/fhir-server/definitions.js';
import { validateResource } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import type { Bundle, CodeSystem, ValueSet } from 'fhir/r4.js';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCardTemplates } from '../../src/cards/templates.js';
import { buildKnowledge, CODE_SOURCE_EXTENSION } from '../../src/knowledge/fhir-knowledge.js';
import { OVERRIDE_REASON_SYSTEM, TOPIC_SYSTEM, ALL_TOPICS } from '../../src/pathway/topics.js';
import { loadTerminology } from '../../src/terminology/valuesets.js';
import { exportFhir } from '../../tools/export-fhir.js';
import { cds } from '../helpers/cds-client.js';
import { testService, type TestService } from '../helpers/service.js';

/** The pathway's knowledge as FHIR R4: valid resources, at their canonical paths, and exported as files. */
const terminology = loadTerminology();
const templates = loadCardTemplates();
const knowledge = buildKnowledge(terminology, templates);
const all = [...knowledge.codeSystems.values(), ...knowledge.valueSets.values()];

let service: TestService;
beforeAll(async () => {
  loadFhirDefinitions();
  service = await testService();
});
afterAll(() => service.close());

describe('knowledge as FHIR resources', () => {
  test('every CodeSystem and ValueSet is valid FHIR R4 (Medplum validator)', () => {
    // Medplum's validator throws on an error (and answers the warnings).
    const problems = (resource: CodeSystem | ValueSet): string[] => {
      try {
        validateResource(resource as unknown as Resource);
        return [];
      } catch (err) {
        return [`${resource.resourceType}/${resource.id ?? ''}: ${(err as Error).message}`];
      }
    };
    expect(all.flatMap(problems)).toEqual([]);
    // The validator does judge: a concept without a code, or an unknown property, is refused.
    const topic = knowledge.codeSystems.get('topic') as CodeSystem;
    expect(problems({ ...topic, concept: [{ display: 'no code' }] } as unknown as CodeSystem)).toHaveLength(1);
    expect(problems({ ...topic, colour: 'blue' } as unknown as CodeSystem)).toHaveLength(1);
  });

  test('the topic CodeSystem has every topic, its canonical URL is the system cards name', () => {
    const cs = knowledge.codeSystems.get('topic');
    expect(cs?.url).toBe(TOPIC_SYSTEM);
    expect(cs?.concept?.map((c) => c.code).sort()).toEqual([...ALL_TOPICS].sort());
    for (const c of cs?.concept ?? []) {
      expect(c.display).toBe(templates.byTopic.get(c.code as (typeof ALL_TOPICS)[number])?.display);
      expect(c.definition).toMatch(/^Fires when: /);
    }
  });

  test('the override-reason CodeSystem has every reason any card offers, with the topics that offer it', () => {
    const cs = knowledge.codeSystems.get('override-reason');
    expect(cs?.url).toBe(OVERRIDE_REASON_SYSTEM);
    const codes = new Map((cs?.concept ?? []).map((c) => [c.code, c]));
    for (const [topic, t] of templates.byTopic) {
      for (const r of t.overrideReasons ?? []) {
        const concept = codes.get(r.code);
        expect(concept).toBeDefined();
        expect(concept?.property?.some((p) => p.code === 'topic' && p.valueCode === topic)).toBe(true);
      }
    }
    expect(cs?.count).toBe(codes.size);
  });

  test('each value set file is a ValueSet with every code, display and source', () => {
    expect([...knowledge.valueSets.keys()].sort()).toEqual([...terminology.valueSets.keys()].sort());
    for (const vs of terminology.valueSets.values()) {
      const resource = knowledge.valueSets.get(vs.id);
      const concepts = (resource?.compose?.include ?? []).flatMap((inc) =>
        (inc.concept ?? []).map((c) => ({
          system: inc.system,
          code: c.code,
          display: c.display,
          source: c.extension?.find((e) => e.url === CODE_SOURCE_EXTENSION)?.valueString,
        })),
      );
      const key = (c: { system?: string; code?: string; display?: string; source?: string }): string =>
        JSON.stringify([c.system, c.code, c.display, c.source]);
      expect(concepts.map(key).sort()).toEqual(vs.codes.map(key).sort());
    }
  });
});

describe('served at their canonical paths', () => {
  test('GET /fhir/CodeSystem/<id> and /fhir/ValueSet/<id> answer the resource as application/fhir+json', async () => {
    for (const resource of [knowledge.codeSystems.get('topic'), knowledge.valueSets.get('hip-osteoarthritis')]) {
      const path = new URL(resource?.url ?? '').pathname;
      const res = await cds(service.app).get(path);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/fhir\+json/);
      expect(res.body).toEqual(resource);
    }
  });

  test('GET /fhir/ValueSet is a searchset of every value set; ?url= finds one', async () => {
    const res = await cds(service.app).get('/fhir/ValueSet');
    const bundle = res.body as Bundle<ValueSet>;
    expect(bundle.type).toBe('searchset');
    expect(bundle.total).toBe(knowledge.valueSets.size);
    const one = await cds(service.app).get(
      `/fhir/ValueSet?url=${encodeURIComponent('http://hip-pain-cds.org/fhir/ValueSet/hip-pain')}`,
    );
    expect((one.body as Bundle<ValueSet>).entry?.map((e) => e.resource?.id)).toEqual(['hip-pain']);
    const cs = await cds(service.app).get('/fhir/CodeSystem');
    expect((cs.body as Bundle<CodeSystem>).entry?.map((e) => e.resource?.id).sort()).toEqual(['override-reason', 'topic']);
  });

  test('an unknown id answers 404 with an OperationOutcome', async () => {
    const res = await cds(service.app).get('/fhir/ValueSet/no-such-set');
    expect(res.status).toBe(404);
    expect(JSON.stringify(res.body)).toContain('no ValueSet \\"no-such-set\\" here');
  });
});

describe('npm run export-fhir', () => {
  test('writes one JSON file per resource, equal to what the service serves', () => {
    const dir = mkdtempSync(join(tmpdir(), 'export-fhir-'));
    try {
      const written = exportFhir(dir);
      expect(written).toHaveLength(all.length);
      const files = readdirSync(dir).sort();
      expect(files).toContain('CodeSystem-topic.json');
      expect(files).toContain('ValueSet-hip-osteoarthritis.json');
      for (const resource of all) {
        const file = join(dir, `${resource.resourceType}-${resource.id ?? ''}.json`);
        expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(resource);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
