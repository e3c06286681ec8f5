import type { FhirResource } from 'fhir/r4.js';
import { index, medication, RX } from '../helpers/pathway.js';

/** The record readers of src/record/: laterality, dosage read once, route words as data, numbers that cannot be real. */
const ICD = 'http://hl7.org/fhir/sid/icd-10-cm';
const SCT = 'http://snomed.info/sct';
const condition = (code: object, extra: object = {}): FhirResource =>
  ({
    resourceType: 'Condition',
    id: `c${Math.random().toString(36).slice(2, 8)}`,
    clinicalStatus: { coding: [{ code: 'active' }] },
    code,
    ...extra,
  }) as FhirResource;

describe('laterality of a hip condition', () => {
  test('from a side-specific ICD-10-CM code: right, left, both; unspecified is unknown', () => {
    const rec = index([
      condition({ coding: [{ system: ICD, code: 'M16.11' }] }),
      condition({ coding: [{ system: ICD, code: 'M25.552' }] }),
      condition({ coding: [{ system: ICD, code: 'M16.0' }] }),
      condition({ coding: [{ system: ICD, code: 'M16.9' }] }),
    ]);
    expect(rec.conditions.map((c) => c.laterality)).toEqual(['right', 'left', 'both', 'unknown']);
    expect(rec.conditions.map((c) => [...c.sets])).toEqual([
      ['hip-osteoarthritis'],
      ['hip-pain'],
      ['hip-osteoarthritis'],
      ['hip-osteoarthritis'],
    ]);
  });
  test('from a SNOMED body site with laterality, or its words', () => {
    const oa = { coding: [{ system: SCT, code: '239872002' }] };
    const rec = index([
      condition(oa, { bodySite: [{ coding: [{ system: SCT, code: '287679003' }] }] }),
      condition(oa, {
        bodySite: [
          {
            coding: [
              { system: SCT, code: '24136001' },
              { system: SCT, code: '24028007' },
            ],
          },
        ],
      }),
      condition(oa, { bodySite: [{ text: 'both hips, bilateral' }] }),
      condition(oa, { bodySite: [{ text: 'right and left hip' }] }),
    ]);
    expect(rec.conditions.map((c) => c.laterality)).toEqual(['left', 'right', 'both', 'both']);
  });
});

describe('dosage, indexed once', () => {
  test('dose, timing, maxDosePerPeriod, as needed and sequence are read from dosageInstruction', () => {
    const rec = index([
      medication({
        medicationCodeableConcept: { coding: [{ system: RX, code: '198440' }] },
        dosageInstruction: [
          {
            sequence: 2,
            text: '1 g every 6 hours as needed',
            asNeededBoolean: true,
            timing: { repeat: { frequency: 1, period: 6, periodUnit: 'h' }, code: { text: 'Q6H' } },
            doseAndRate: [{ doseQuantity: { value: 1, unit: 'g' } }],
            maxDosePerPeriod: { numerator: { value: 3, unit: 'g' }, denominator: { value: 1, unit: 'd' } },
          },
        ],
      }),
    ]);
    const m = rec.medications[0];
    expect(m?.asNeeded).toBe(true);
    expect(m?.dosages).toEqual([
      {
        sequence: 2,
        text: '1 g every 6 hours as needed',
        asNeeded: true,
        dose: { value: 1, unit: 'g' },
        timing: { frequency: 1, period: 6, periodUnit: 'h', timesOfDay: 0, when: 0, codes: ['Q6H'] },
        maxDosePerPeriod: { numerator: { value: 3, unit: 'g' }, denominator: { value: 1, unit: 'd' } },
      },
    ]);
  });
  test('a negative or non-numeric dose is no dose', () => {
    const rec = index([
      medication({
        medicationCodeableConcept: { coding: [{ system: RX, code: '198440' }] },
        dosageInstruction: [{ doseAndRate: [{ doseQuantity: { value: 'Infinity', unit: 'g' } }] }],
      }),
      medication({
        medicationCodeableConcept: { coding: [{ system: RX, code: '198440' }] },
        dosageInstruction: [{ doseAndRate: [{ doseQuantity: { value: -1, unit: 'g' } }] }],
      }),
    ]);
    expect(rec.medications.map((m) => m.dosages[0]?.dose)).toEqual([undefined, undefined]);
  });
});

describe('route words are data (valuesets/route-*.json)', () => {
  const routeOf = (extra: object) =>
    index([medication({ medicationCodeableConcept: { coding: [{ system: RX, code: '198440' }] }, ...extra })]).medications[0]
      ?.route;
  test('oral code or words; not-oral words; oral words win', () => {
    expect(
      routeOf({
        dosageInstruction: [
          { route: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-RouteOfAdministration', code: 'PO' }] } },
        ],
      }),
    ).toBe('oral');
    expect(routeOf({ dosageInstruction: [{ route: { text: 'per rectum' } }] })).toBe('other');
    expect(routeOf({ dosageInstruction: [{ route: { text: 'by mouth or IV' } }] })).toBe('oral');
  });
  test('a topical NSAID in words is not a hip NSAID, a rectal one is; a steroid foam is not systemic', () => {
    const rec = index([
      medication({ medicationCodeableConcept: { text: 'diclofenac 1% gel' } }),
      medication({ medicationCodeableConcept: { text: 'indomethacin 100 mg suppository' } }),
      medication({ medicationCodeableConcept: { text: 'hydrocortisone rectal foam' } }),
      medication({ medicationCodeableConcept: { text: 'hydrocortisone 10 mg tablet' } }),
    ]);
    expect(rec.medications.map((m) => m.classes.has('medication-nsaid'))).toEqual([false, true, false, false]);
    expect(rec.medications.map((m) => m.classes.has('medication-systemic-corticosteroid'))).toEqual([false, false, false, true]);
  });
});

describe('a PROM outside its scale cannot be computed', () => {
  test('HOOS JR 101/100 and pain 11/10 are dropped and counted for the log, with no patient data', () => {
    const obs = (code: string, value: number): FhirResource => ({
      resourceType: 'Observation',
      id: `o${code}${value}`,
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code }] },
      effectiveDateTime: '2026-01-01',
      valueQuantity: { value },
    });
    const rec = index([obs('82323-7', 101), obs('72514-3', 11), obs('72514-3', 10)]);
    expect(rec.observations.map((o) => [o.value, o.outOfScale])).toEqual([
      [undefined, true],
      [undefined, true],
      [10, undefined],
    ]);
    expect(rec.cannotCompute).toEqual(["2 outcome measure value(s) outside the instrument's scale: not used"]);
  });
});
