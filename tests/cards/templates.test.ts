import { readFileSync } from 'node:fs';
import { loadCardTemplates } from '../../src/cards/templates.js';
import { projectPath } from '../../src/data-files.js';
import { loadScenario, scenarioNames } from '../../tools/fixtures/scenarios.js';
import { codingKey } from '../../src/terminology/coding.js';
import { HIP_CONDITION_SETS, inAny } from '../../src/pathway/value-set-ids.js';
import { renderPathwayDoc } from '../../tools/pathway-doc.js';
import { cds } from '../helpers/cds-client.js';
import { terminology } from '../helpers/pathway.js';
import { scenarioRequest, SERVICE_FOR_HOOK } from '../helpers/scenario-call.js';
import { testService, type TestService } from '../helpers/service.js';

const templates = loadCardTemplates();
const HIP_JOINT = 'http://snomed.info/sct|24136001';

describe('card templates (cards/)', () => {
  test('every coded suggestion is coded from the value sets or the products file', () => {
    const unknown: string[] = [];
    for (const t of templates.byTopic.values()) {
      for (const [id, s] of Object.entries(t.suggestions ?? {})) {
        for (const a of s.actions) {
          // Side-specific codes of one-sided orders (MR Hip - left WO contrast ...) come from the value sets too.
          for (const c of Object.values(a.laterality?.codes ?? {})) {
            const key = codingKey(c.system, c.code) ?? '';
            if (terminology.membership([key]).size === 0) unknown.push(`${t.topic}/${id} (side): ${key}`);
          }
          const r = a.resource ?? {};
          for (const el of ['code', 'medicationCodeableConcept']) {
            for (const c of (r[el] as { coding?: { system: string; code: string }[] } | undefined)?.coding ?? []) {
              const key = codingKey(c.system, c.code) ?? '';
              if (terminology.membership([key], [HIP_JOINT]).size === 0 && !terminology.products.has(key))
                unknown.push(`${t.topic}/${id}: ${key}`);
            }
          }
        }
      }
    }
    expect(unknown).toEqual([]);
  });

  test('warnings and critical cards offer override reasons; cards with suggestions say how to choose', () => {
    for (const t of templates.byTopic.values()) {
      if (t.indicator !== 'info')
        expect({ topic: t.topic, reasons: (t.overrideReasons ?? []).length > 0 }).toEqual({ topic: t.topic, reasons: true });
      if (Object.keys(t.suggestions ?? {}).length > 0) expect(t.selectionBehavior).toBeDefined();
    }
  });

  test('docs/pathway.md is up to date with rules, templates, value sets and scenarios (npm run docs)', () => {
    expect(readFileSync(projectPath('docs', 'pathway.md'), 'utf8')).toBe(renderPathwayDoc());
  });
});

describe('suggested resources are fully formed', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await testService();
  });
  afterAll(() => service.close());

  test('status draft, intent, subject, requester, authoredOn, reasonReference to the hip condition; medicines with dosage', async () => {
    let checked = 0;
    let reasoned = 0;
    for (const name of scenarioNames()) {
      const s = loadScenario(name, new Date());
      const res = await cds(service.app).hook(
        SERVICE_FOR_HOOK[s.hook],
        scenarioRequest(s, service.registry, { prefetch: 'full' }),
      );
      for (const card of res.body.cards) {
        for (const action of (card.suggestions ?? []).flatMap((x) => x.actions ?? [])) {
          if (action.type === 'update') {
            // An updated draft keeps its id and product; a new dose is only written onto single-ingredient orders.
            const r = action.resource as unknown as Record<string, unknown>;
            const draft = (s.draftOrders ?? []).find((d) => d.id === r['id']);
            expect(draft).toBeDefined();
            expect(r['medicationCodeableConcept']).toEqual(
              (draft as unknown as Record<string, unknown>)['medicationCodeableConcept'],
            );
            const code =
              (r['medicationCodeableConcept'] as { coding?: { code?: string }[] } | undefined)?.coding?.[0]?.code ?? '';
            expect(terminology.products.get(`http://www.nlm.nih.gov/research/umls/rxnorm|${code}`)?.ingredients).toHaveLength(1);
            checked++;
            continue;
          }
          if (action.type !== 'create') continue;
          const r = action.resource as unknown as Record<string, unknown>;
          checked++;
          expect(r).toMatchObject({
            status: 'draft',
            subject: { reference: `Patient/${s.patientId}` },
            requester: { reference: 'Practitioner/scenario-clinician' },
          });
          expect(['order', 'proposal']).toContain(r['intent']);
          expect(typeof r['authoredOn']).toBe('string');
          // The reason is one of the patient's active hip conditions; with only one, it is that one.
          const hip = s.resources
            .filter((x) => {
              if (x.resourceType !== 'Condition') return false;
              const keys = (x.code?.coding ?? []).map((c) => codingKey(c.system, c.code) ?? '');
              return x.clinicalStatus?.coding?.[0]?.code === 'active' && inAny(terminology.membership(keys), HIP_CONDITION_SETS);
            })
            .map((x) => `Condition/${x.id ?? ''}`);
          if (hip.length > 0) {
            const reasons = r['reasonReference'] as { reference: string }[];
            expect(reasons).toHaveLength(1);
            expect(hip).toContain(reasons[0]?.reference);
            if (hip.length === 1) expect(reasons[0]?.reference).toBe(hip[0]);
            reasoned++;
          }
          if (r['resourceType'] === 'MedicationRequest') {
            const dose = (r['dosageInstruction'] as Record<string, unknown>[])[0] ?? {};
            expect(dose).toMatchObject({
              text: expect.any(String),
              timing: { repeat: expect.any(Object) },
              doseAndRate: [{ doseQuantity: { value: expect.any(Number), code: 'mg' } }],
            });
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(20);
    expect(reasoned).toBeGreaterThan(20);
  });
});
