import type { Dosage, MedicationRequest } from 'fhir/r4.js';
import type { Card } from '../../src/cds/types.js';
import { loadScenario, type Scenario } from '../../tools/fixtures/scenarios.js';
import { cds } from '../helpers/cds-client.js';
import { scenarioRequest, SERVICE_FOR_HOOK } from '../helpers/scenario-call.js';
import { testService, type TestService } from '../helpers/service.js';

/**
 * acetaminophen-max-dose, safe schedule (docs/clinical-spec.md §3): the update keeps the draft's product, route and
 * as-needed flag, keeps the total (with the other current acetaminophen) within the patient's limit with a
 * maxDosePerPeriod that matches the schedule, and carries reasonReference to the hip condition beside the draft's
 * own reason. The draft: acetaminophen 500 mg tablets, 2 every 4 hours (6 g a day), for a patient with hip pain.
 */
const SCENARIO = 'acetaminophen-max-dose-2-tablets-every-4-hours';
const HIP = 'Condition/acetaminophen-max-dose-2-tablets-every-4-c1';

let service: TestService;
beforeAll(async () => {
  service = await testService();
});
afterAll(() => service.close());

function scenario(change: (draft: MedicationRequest, s: Scenario) => void): Scenario {
  const s = loadScenario(SCENARIO, new Date());
  const draft = structuredClone(s.draftOrders?.[0]) as MedicationRequest;
  change(draft, s);
  return { ...s, draftOrders: [draft] };
}

async function update(s: Scenario): Promise<{ card: Card; resource: MedicationRequest; dosage: Dosage }> {
  const res = await cds(service.app).hook(SERVICE_FOR_HOOK[s.hook], scenarioRequest(s, service.registry, { prefetch: 'full' }));
  const card = res.body.cards.find((c) => c.source.topic?.code === 'acetaminophen-max-dose');
  if (card === undefined) throw new Error('no acetaminophen-max-dose card');
  const action = card.suggestions?.flatMap((x) => x.actions ?? []).find((a) => a.type === 'update');
  const resource = action?.resource as MedicationRequest | undefined;
  const dosage = resource?.dosageInstruction?.[0];
  if (resource === undefined || dosage === undefined) throw new Error('no update');
  return { card, resource, dosage };
}

/** mg a day the new dosage allows: dose × administrations a day. */
function dailyMg(d: Dosage): number {
  const dose = d.doseAndRate?.[0]?.doseQuantity?.value ?? NaN;
  const every = d.timing?.repeat?.period ?? NaN;
  return (dose * 24) / every;
}

test('a scheduled draft stays scheduled, by mouth, the same product; the cap is the schedule’s own total', async () => {
  const { resource, dosage } = await update(scenario(() => undefined));
  const original = loadScenario(SCENARIO, new Date()).draftOrders?.[0] as MedicationRequest;
  expect(resource.id).toBe(original.id);
  expect(resource.medicationCodeableConcept).toEqual(original.medicationCodeableConcept);
  expect(dosage.asNeededBoolean).toBe(false);
  expect(dosage.route?.coding?.[0]?.code).toBe('26643006');
  expect(dailyMg(dosage)).toBe(3000);
  expect(dosage.maxDosePerPeriod?.numerator?.value).toBe(dailyMg(dosage));
  expect(dosage.maxDosePerPeriod?.denominator).toMatchObject({ value: 1, code: 'd' });
  expect(resource.reasonReference).toEqual([expect.objectContaining({ reference: HIP })]);
});

test('an as-needed draft stays as-needed', async () => {
  const { card, dosage } = await update(
    scenario((d) => {
      (d.dosageInstruction?.[0] as Dosage).asNeededBoolean = true;
    }),
  );
  expect(dosage.asNeededBoolean).toBe(true);
  expect(dosage.text).toContain('every 8 hours if needed');
  expect(card.suggestions?.[0]?.label).toContain('if needed');
  expect(dosage.maxDosePerPeriod?.numerator?.value).toBe(dailyMg(dosage));
});

test('an as-needed reason and the draft’s own route and reason are kept; the hip condition is added', async () => {
  const prn = { coding: [{ system: 'http://snomed.info/sct', code: '22253000', display: 'Pain' }] };
  const route = { coding: [{ system: 'http://snomed.info/sct', code: '26643006', display: 'Oral route' }], text: 'PO' };
  const { resource, dosage } = await update(
    scenario((d) => {
      const first = d.dosageInstruction?.[0] as Dosage;
      delete first.asNeededBoolean;
      first.asNeededCodeableConcept = prn;
      first.route = route;
      d.reasonReference = [{ reference: 'Condition/headache-elsewhere', display: 'Headache' }];
    }),
  );
  expect(dosage.asNeededCodeableConcept).toEqual(prn);
  expect(dosage.asNeededBoolean).toBeUndefined();
  expect(dosage.route).toEqual(route);
  expect(resource.reasonReference?.map((r) => r.reference)).toEqual(['Condition/headache-elsewhere', HIP]);
});

test('with other current acetaminophen the new schedule keeps the total within the limit', async () => {
  const s = scenario(() => undefined);
  const current: MedicationRequest = {
    resourceType: 'MedicationRequest',
    id: 'current-apap-1500',
    status: 'active',
    intent: 'order',
    subject: { reference: `Patient/${s.patientId}` },
    authoredOn: new Date(Date.now() - 14 * 86_400_000).toISOString(),
    medicationCodeableConcept: {
      coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '198440', display: 'acetaminophen 500 MG Oral Tablet' }],
    },
    dosageInstruction: [
      {
        timing: { repeat: { frequency: 1, period: 8, periodUnit: 'h' } },
        doseAndRate: [{ doseQuantity: { value: 1, unit: '{tbl}', system: 'http://unitsofmeasure.org', code: '{tbl}' } }],
      },
    ],
  };
  const { dosage } = await update({ ...s, resources: [...s.resources, current] });
  // 1500 mg a day already current: 1000 mg every 8 hours (3000) would exceed 4000, the next schedule fits.
  expect(dailyMg(dosage)).toBe(2000);
  expect(dailyMg(dosage) + 1500).toBeLessThanOrEqual(4000);
  expect(dosage.maxDosePerPeriod?.numerator?.value).toBe(2000);
});
