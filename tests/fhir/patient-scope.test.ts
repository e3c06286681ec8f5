import type { FhirResource } from 'fhir/r4.js';
import { ownDataOnly } from '../../src/fhir/patient-scope.js';
import type { GatheredEntry } from '../../src/record/index-record.js';

/** Which resources are the patient's own (src/fhir/patient-scope.ts), one way of naming a subject per case. */

const ME = 'pat-1';
const entry = (resource: Record<string, unknown>, fullUrl?: string): GatheredEntry => ({
  resource: resource as unknown as FhirResource,
  ...(fullUrl !== undefined ? { fullUrl } : {}),
});
const condition = (subject: unknown, id = 'c'): GatheredEntry => entry({ resourceType: 'Condition', id, subject });
const kept = (entries: GatheredEntry[], drafts: GatheredEntry[] = []): string[] =>
  ownDataOnly(ME, entries, drafts).entries.map((e) => `${e.resource.resourceType}/${e.resource.id ?? ''}`);

test.each([
  ['Patient/pat-1', true],
  ['https://ehr.example/fhir/Patient/pat-1', true],
  ['Patient/pat-1/_history/3', true],
  ['Patient/pat-2', false],
  ['https://ehr.example/fhir/Patient/pat-2', false],
  ['Group/ward-4', false],
  ['urn:uuid:pat-1', true],
])('a subject %s is the patient: %s', (reference, own) => {
  expect(kept([condition({ reference })])).toEqual(own ? ['Condition/c'] : []);
});

test('a subject that names no one (no reference, an identifier or a display only) is not a reason to drop', () => {
  expect(
    kept([condition(undefined, 'a'), condition({ display: 'Jo' }, 'b'), condition({ identifier: { value: '1' } }, 'c')]),
  ).toEqual(['Condition/a', 'Condition/b', 'Condition/c']);
});

test('a urn:uuid subject is resolved through the fullUrls of the data: another Patient entry is another patient', () => {
  const theirs = entry({ resourceType: 'Patient', id: 'pat-2' }, 'urn:uuid:0001');
  const mine = entry({ resourceType: 'Patient', id: ME }, 'urn:uuid:0002');
  const result = ownDataOnly(ME, [
    theirs,
    mine,
    condition({ reference: 'urn:uuid:0001' }, 'x'),
    condition({ reference: 'urn:uuid:0002' }, 'y'),
  ]);
  expect(result.entries.map((e) => e.resource.id)).toEqual([ME, 'y']);
  expect(result.dropped).toEqual({ Patient: 1, Condition: 1 });
});

test('`patient` counts like `subject` (AllergyIntolerance, Coverage...)', () => {
  expect(kept([entry({ resourceType: 'AllergyIntolerance', id: 'a', patient: { reference: 'Patient/pat-2' } })])).toEqual([]);
});

test('a Medication is kept only when a kept MedicationRequest references it (draft orders included)', () => {
  const mine = entry({
    resourceType: 'MedicationRequest',
    id: 'm1',
    subject: { reference: `Patient/${ME}` },
    medicationReference: { reference: 'Medication/med-1' },
  });
  const theirs = entry({
    resourceType: 'MedicationRequest',
    id: 'm2',
    subject: { reference: 'Patient/pat-2' },
    medicationReference: { reference: 'Medication/med-2' },
  });
  const draft = entry({
    resourceType: 'MedicationRequest',
    id: 'd1',
    status: 'draft',
    subject: { reference: `Patient/${ME}` },
    medicationReference: { reference: 'https://ehr.example/fhir/Medication/med-3/_history/1' },
  });
  const medications = ['med-1', 'med-2', 'med-3', 'med-4'].map((id) => entry({ resourceType: 'Medication', id }));
  const result = ownDataOnly(ME, [mine, theirs, ...medications], [draft]);
  expect(result.entries.map((e) => e.resource.id)).toEqual(['m1', 'med-1', 'med-3']);
  expect(result.draftOrders.map((e) => e.resource.id)).toEqual(['d1']);
  expect(result.dropped).toEqual({ MedicationRequest: 1, Medication: 2 });
});

test("another patient's draft order is dropped and counted", () => {
  const draft = entry({ resourceType: 'ServiceRequest', id: 'sr', status: 'draft', subject: { reference: 'Patient/pat-2' } });
  const result = ownDataOnly(ME, [], [draft]);
  expect(result.draftOrders).toEqual([]);
  expect(result.dropped).toEqual({ ServiceRequest: 1 });
});
