import type { Condition, FhirResource, ServiceRequest } from 'fhir/r4.js';
import { hipSide } from '../../src/cards/laterality.js';
import { RecordIndexer } from '../../src/record/index-record.js';
import type { Laterality } from '../../src/record/types.js';
import { loadTerminology } from '../../src/terminology/valuesets.js';
import type { Card } from '../../src/cds/types.js';
import { loadScenario, type Scenario } from '../../tools/fixtures/scenarios.js';
import { cds } from '../helpers/cds-client.js';
import { scenarioRequest, SERVICE_FOR_HOOK } from '../helpers/scenario-call.js';
import { testService, type TestService } from '../helpers/service.js';

/**
 * Laterality of suggested imaging, injection and referral orders (docs/clinical-spec.md §3): the side the hip
 * conditions name (a side-specific ICD-10-CM code, a SNOMED CT body site or laterality qualifier), else the order
 * asks to confirm the side.
 */
const indexer = new RecordIndexer(loadTerminology());
/** The side the indexer reads from one condition (ConditionEntry.laterality). */
function sideOf(c: Condition): Laterality {
  const record = indexer.index({ now: new Date(), context: { patientId: 'p' }, entries: [{ resource: c }] });
  return record.conditions[0]?.laterality ?? 'unknown';
}
const ICD = 'http://hl7.org/fhir/sid/icd-10-cm';
const SCT = 'http://snomed.info/sct';

function condition(code: { system: string; code: string; display?: string }, bodySite?: { system: string; code: string }[]): Condition {
  const c: Condition = { resourceType: 'Condition', subject: { reference: 'Patient/p' }, code: { coding: [code] } };
  if (bodySite !== undefined) c.bodySite = [{ coding: bodySite }];
  return c;
}

describe('the side a hip condition names', () => {
  test.each([
    ['M16.12 left hip OA', condition({ system: ICD, code: 'M16.12' }), 'left'],
    ['M16.11 right hip OA', condition({ system: ICD, code: 'M16.11' }), 'right'],
    ['M25.552 pain in left hip', condition({ system: ICD, code: 'M25.552' }), 'left'],
    ['M25.551 pain in right hip, written without the dot', condition({ system: ICD, code: 'M25551' }), 'right'],
    ['M16.0 bilateral OA', condition({ system: ICD, code: 'M16.0' }), 'both'],
    ['M16.9 unspecified', condition({ system: ICD, code: 'M16.9' }), 'unknown'],
    ['SNOMED OA with a left hip region body site', condition({ system: SCT, code: '239872002' }, [{ system: SCT, code: '287679003' }]), 'left'],
    ['SNOMED OA, hip joint with the Right qualifier', condition({ system: SCT, code: '239872002' }, [{ system: SCT, code: '24136001' }, { system: SCT, code: '24028007' }]), 'right'],
    ['SNOMED hip pain without a body site', condition({ system: SCT, code: '49218002' }), 'unknown'],
  ])('%s', (_name, c, side) => {
    expect(sideOf(c)).toBe(side);
  });

  test('together: one side, both sides, or none', () => {
    const left = sideOf(condition({ system: ICD, code: 'M16.12' }));
    const right = sideOf(condition({ system: ICD, code: 'M25.551' }));
    const none = sideOf(condition({ system: SCT, code: '49218002' }));
    expect(hipSide([left, none])).toBe('left');
    expect(hipSide([right])).toBe('right');
    expect(hipSide([left, right])).toBe('both');
    expect(hipSide([sideOf(condition({ system: ICD, code: 'M16.0' }))])).toBe('both');
    expect(hipSide([none])).toBe('unknown');
    expect(hipSide([])).toBe('unknown');
  });
});

describe('suggested orders carry the side', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await testService();
  });
  afterAll(() => service.close());

  /** The scenario with its hip condition(s) recoded: left, right, both or no side. */
  function withConditionCodes(name: string, conditionCodes: { system: string; code: string }[][]): Scenario {
    const s = loadScenario(name, new Date());
    const original = s.resources.find((r): r is Condition => r.resourceType === 'Condition');
    if (original === undefined) throw new Error(`${name} has no condition`);
    const recoded: FhirResource[] = conditionCodes.map((coding, i) => ({ ...original, id: `${original.id ?? 'c'}-${i}`, code: { coding } }));
    return { ...s, resources: [...s.resources.filter((r) => r !== original), ...recoded] };
  }

  async function cardsFor(s: Scenario): Promise<Card[]> {
    const res = await cds(service.app).hook(SERVICE_FOR_HOOK[s.hook], scenarioRequest(s, service.registry, { prefetch: 'full' }));
    expect(res.status).toBe(200);
    return res.body.cards;
  }

  function created(card: Card | undefined): ServiceRequest[] {
    return (card?.suggestions ?? []).flatMap((x) =>
      (x.actions ?? []).flatMap((a) => (a.type === 'create' && a.resource?.resourceType === 'ServiceRequest' ? [a.resource] : [])),
    );
  }

  const LEFT = [[{ system: ICD, code: 'M16.12' }]];
  const RIGHT = [[{ system: ICD, code: 'M16.11' }]];
  const BOTH = [[{ system: ICD, code: 'M16.12' }], [{ system: ICD, code: 'M16.11' }]];
  const NONE = [[{ system: SCT, code: '239872002' }]];

  test.each([
    ['left', LEFT, '287679003', 'Left hip', 'left hip'],
    ['right', RIGHT, '287579007', 'Right hip', 'right hip'],
    ['both', BOTH, '24136001', 'Hip (side to confirm)', 'side to confirm: the record names both hips'],
    ['none', NONE, '24136001', 'Hip (side to confirm)', 'side to confirm: the record names no side'],
  ])('injection for hip OA, %s side', async (_side, conditionCodes, site, siteText, orderText) => {
    const cards = await cardsFor(withConditionCodes('intra-articular-corticosteroid-oa-on-nsaid', conditionCodes));
    const injections = created(cards.find((c) => c.source.topic?.code === 'intra-articular-corticosteroid'));
    expect(injections).toHaveLength(2);
    for (const r of injections) {
      expect(r.bodySite).toEqual([{ coding: [expect.objectContaining({ system: SCT, code: site })], text: siteText }]);
      expect(r.code?.text).toContain(orderText);
    }
  });

  // Hip pain (a structural diagnosis such as OA would stop the MRI card).
  const PAIN_LEFT = [[{ system: ICD, code: 'M25.552' }]];
  const PAIN_RIGHT = [[{ system: ICD, code: 'M25.551' }]];
  const PAIN_BOTH = [[{ system: ICD, code: 'M25.552' }], [{ system: ICD, code: 'M25.551' }]];
  const PAIN_NONE = [[{ system: SCT, code: '49218002' }]];
  test.each([
    ['left', PAIN_LEFT, '36488-5', 'left hip'],
    ['right', PAIN_RIGHT, '36490-1', 'right hip'],
    ['both', PAIN_BOTH, '30687-8', 'side to confirm: the record names both hips'],
    ['none', PAIN_NONE, '30687-8', 'side to confirm: the record names no side'],
  ])('MRI after a negative radiograph, %s side: side-specific LOINC code or a request to confirm', async (_side, conditionCodes, loinc, text) => {
    const cards = await cardsFor(withConditionCodes('mri-without-contrast-after-negative-radiograph', conditionCodes));
    const card = cards.find((c) => c.source.topic?.code === 'mri-without-contrast');
    const [mri] = created(card);
    expect(mri?.code?.coding?.map((c) => c.code)).toEqual([loinc]);
    expect(mri?.code?.text).toBe(`MRI hip without IV contrast, ${text}`);
    expect(card?.suggestions?.[0]?.label).toMatch(/\((left hip|right hip|confirm the side)\)$/);
  });

  test('the AP pelvis radiograph stays unsided; the lateral hip view takes the side', async () => {
    const s = loadScenario('radiographs-first-pain-better-by-1-point', new Date());
    const orders = created((await cardsFor(s)).find((c) => c.source.topic?.code === 'radiographs-first'));
    expect(orders.map((o) => o.code?.coding?.[0]?.code)).toEqual(['37622-8', '37729-1']);
    expect(orders[0]?.bodySite).toBeUndefined();
    expect(orders[1]?.bodySite?.[0]?.coding?.[0]?.code).toBe('287579007');
  });

  test('radiographs that replace a draft MRI take the side the draft names, before the side of the conditions', async () => {
    const s = loadScenario('mri-before-radiographs-mri-selected', new Date());
    const drafts = (s.draftOrders ?? []).map((d) =>
      d.resourceType === 'ServiceRequest' ? { ...d, bodySite: [{ coding: [{ system: SCT, code: '287679003' }] }] } : d,
    );
    const cards = await cardsFor({ ...s, draftOrders: drafts });
    const orders = created(cards.find((c) => c.source.topic?.code === 'mri-before-radiographs'));
    // The hip condition is on the right (M25.551); the MRI being replaced was ordered for the left hip.
    expect(orders.map((o) => o.code?.coding?.[0]?.code)).toEqual(['37622-8', '36994-2']);
  });
});
