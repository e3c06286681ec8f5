import type { FhirResource } from 'fhir/r4.js';
import { computeFacts } from '../../src/pathway/facts.js';
import { evaluatePathway } from '../../src/pathway/evaluate.js';
import { CardRenderer } from '../../src/cards/render.js';
import { loadCardTemplates } from '../../src/cards/templates.js';
import { index, medication, pathwayConfig, RX } from '../helpers/pathway.js';

/** The record is indexed once: codings normalised, value sets by look-up, medications resolved, messy shapes read. */
const condition = (code: object, extra: object = {}): FhirResource =>
  ({
    resourceType: 'Condition',
    id: `c${Math.random().toString(36).slice(2, 8)}`,
    clinicalStatus: { coding: [{ code: 'active' }] },
    code,
    onsetDateTime: '2026-01-01',
    ...extra,
  }) as FhirResource;

describe('codings', () => {
  test('ICD-10-CM without the dot, lower case, or under its OID meets the value set', () => {
    const rec = index([
      condition({ coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'm1611' }] }),
      condition({ coding: [{ system: 'urn:oid:2.16.840.1.113883.6.90', code: 'M25.552' }] }),
      condition({ coding: [{ system: 'urn:oid:2.16.840.1.113883.6.96', code: '239872002' }] }),
    ]);
    expect(rec.conditions.map((c) => [...c.sets])).toEqual([['hip-osteoarthritis'], ['hip-pain'], ['hip-osteoarthritis']]);
    expect(rec.conditions[0]?.laterality).toBe('right');
    expect(rec.conditions[1]?.laterality).toBe('left');
  });

  test('statuses: refuted and entered-in-error never count; resolved counts only for "a history of"', () => {
    const rec = index([
      condition(
        { coding: [{ system: 'http://snomed.info/sct', code: '239872002' }] },
        { verificationStatus: { coding: [{ code: 'refuted' }] } },
      ),
      condition(
        { coding: [{ system: 'http://snomed.info/sct', code: '239872002' }] },
        { clinicalStatus: { coding: [{ code: 'resolved' }] } },
      ),
      condition(
        { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'K25.4' }] },
        { clinicalStatus: { coding: [{ code: 'resolved' }] } },
      ),
    ]);
    expect(rec.conditions.map((c) => [c.active, c.valid])).toEqual([
      [false, false],
      [false, true],
      [false, true],
    ]);
    const facts = computeFacts(rec, pathwayConfig);
    expect(facts.hipConditions).toHaveLength(0);
    expect(facts.giRiskFactors.map((r) => r.kind)).toEqual(['peptic-ulcer']);
  });

  test('the onset comes from onsetDateTime, else onsetPeriod.start, else recordedDate; partial dates read as their first day', () => {
    const rec = index([
      condition({ text: 'hip' }, { onsetDateTime: undefined, onsetPeriod: { start: '2026-03' } }),
      condition({ text: 'hip' }, { onsetDateTime: undefined, recordedDate: '2025' }),
      condition({ text: 'hip' }, { onsetDateTime: 'not a date' }),
    ]);
    expect(rec.conditions.map((c) => c.onset?.toISOString().slice(0, 10))).toEqual(['2026-03-01', '2025-01-01', undefined]);
  });
});

describe('medications', () => {
  test('a clinical drug belongs to every class of its ingredients', () => {
    const rec = index([medication({ medicationCodeableConcept: { coding: [{ system: RX, code: '1049221' }] } })]);
    expect([...(rec.medications[0]?.classes ?? [])].sort()).toEqual(['medication-acetaminophen', 'medication-opioid']);
    expect(rec.medications[0]?.matchedBy).toBe('product');
  });

  test('medicationReference to a contained, a bundled, and an absolute-URL Medication', () => {
    const med = { resourceType: 'Medication', id: 'tram', code: { coding: [{ system: RX, code: '835603' }] } };
    const rec = index([
      med as FhirResource,
      medication({ medicationReference: { reference: 'Medication/tram' } }),
      medication({ medicationReference: { reference: 'https://ehr.example/fhir/Medication/tram' } }),
      medication({ contained: [{ ...med, id: 'c1' }], medicationReference: { reference: '#c1' } }),
    ]);
    expect(rec.medications.map((m) => m.classes.has('medication-opioid'))).toEqual([true, true, true]);
  });

  test('uncoded text naming an ingredient is matched (medications only); a topical steroid or NSAID gel is not systemic', () => {
    const rec = index([
      medication({ medicationCodeableConcept: { text: 'Ibuprofen 600 mg tab' } }),
      medication({
        medicationCodeableConcept: { coding: [{ system: RX, code: '999999', display: 'Hydrocortisone 10 MG/ML Topical Cream' }] },
      }),
      medication({ medicationCodeableConcept: { text: 'diclofenac sodium 1% topical gel' } }),
      medication({ medicationCodeableConcept: { text: 'prednisone 10 mg tablet' } }),
      medication({ medicationCodeableConcept: { text: 'vitamin D 1000 IU' } }),
    ]);
    expect(rec.medications.map((m) => [...m.classes])).toEqual([
      ['medication-nsaid'],
      [],
      [],
      ['medication-systemic-corticosteroid'],
      [],
    ]);
    expect(rec.medications.map((m) => m.matchedBy)).toEqual(['text', 'text', 'text', 'text', 'none']);
  });

  test('route: an oral code or oral words first; "other" only when something says so; else unknown', () => {
    const apap = (extra: Record<string, unknown>) =>
      medication({ medicationCodeableConcept: { coding: [{ system: RX, code: '161' }], text: 'acetaminophen' }, ...extra });
    const route = (system: string, code: string, display?: string) => ({
      dosageInstruction: [{ route: { coding: [{ system, code, ...(display !== undefined ? { display } : {}) }] } }],
    });
    const cases: [FhirResource, 'oral' | 'other' | undefined][] = [
      [apap(route('http://snomed.info/sct', '26643006')), 'oral'],
      [apap(route('http://terminology.hl7.org/CodeSystem/v3-RouteOfAdministration', 'PO')), 'oral'],
      [apap(route('http://standardterms.edqm.eu', '20053000')), 'oral'],
      [apap(route('http://snomed.info/sct', '37161004', 'Per rectum')), 'other'],
      [apap(route('http://snomed.info/sct', '47625008', 'Intravenous route')), 'other'],
      // A coded route the service does not know, without a display, says nothing.
      [apap(route('http://snomed.info/sct', '37161004')), undefined],
      [apap({ dosageInstruction: [{ route: { text: 'orally' } }] }), 'oral'],
      [apap({ dosageInstruction: [{ text: '500 mg tab p.o. q4h p.r.n.' }] }), 'oral'],
      [apap({ dosageInstruction: [{ text: '1000 mg IV every 6 hours' }] }), 'other'],
      [medication({ medicationCodeableConcept: { coding: [{ system: RX, code: '198440' }] } }), 'oral'],
      [medication({ medicationCodeableConcept: { text: 'acetaminophen 650 mg suppository' } }), 'other'],
      [medication({ medicationCodeableConcept: { text: 'acetaminophen 500 mg PR tablet' } }), undefined],
      [apap({}), undefined],
    ];
    expect(index(cases.map(([r]) => r)).medications.map((m) => m.route)).toEqual(cases.map(([, want]) => want));
  });

  test('aspirin is an antiplatelet (a GI risk), not a hip NSAID', () => {
    const rec = index([medication({ medicationCodeableConcept: { coding: [{ system: RX, code: '243670' }] } })]);
    expect([...(rec.medications[0]?.classes ?? [])]).toEqual(['medication-anticoagulant-antiplatelet']);
  });

  test('current means active or on-hold; drafts are orders being placed, not current', () => {
    const drug = { medicationCodeableConcept: { coding: [{ system: RX, code: '198440' }] } };
    const rec = index(
      [
        medication({ ...drug, status: 'active' }),
        medication({ ...drug, status: 'on-hold' }),
        medication({ ...drug, status: 'stopped' }),
        medication({ ...drug, status: 'entered-in-error' }),
      ],
      [medication({ ...drug, status: 'draft' })],
    );
    expect(rec.medications.map((m) => m.current)).toEqual([true, true, false, false]);
    expect(rec.drafts).toHaveLength(1);
    expect(rec.judged).toHaveLength(1);
  });
});

describe('sandbox and real-world shapes', () => {
  test('single objects where R4 has arrays (reasonCode, category, coding) are read', () => {
    const rec = index(
      [],
      [
        medication({
          status: 'draft',
          medicationCodeableConcept: { coding: { system: RX, code: '835603' } },
          reasonCode: { coding: [{ system: 'http://snomed.info/sct', code: '49218002' }] },
          category: { coding: [{ code: 'community' }] },
        }),
      ],
    );
    const draft = rec.drafts[0];
    expect(draft?.resourceType === 'MedicationRequest' && draft.classes.has('medication-opioid')).toBe(true);
    expect([...(draft?.reasons.codeSets ?? [])]).toEqual(['hip-pain']);
  });

  test('an imaging study is a radiograph by its modality with a hip body site', () => {
    const study = {
      resourceType: 'ImagingStudy',
      id: 'i1',
      status: 'available',
      started: '2026-10-01',
      series: [
        {
          uid: '1',
          modality: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: 'DX' },
          bodySite: { system: 'http://snomed.info/sct', code: '12921003' },
        },
      ],
    };
    const facts = computeFacts(index([study as FhirResource]), pathwayConfig);
    expect(facts.radiographOnRecord).toBe(true);
  });

  test('junk never throws', () => {
    const junk = [
      { resourceType: 'Condition', code: 'hip pain', onsetDateTime: 42 },
      {
        resourceType: 'MedicationRequest',
        medicationCodeableConcept: [null, 1, 'x'],
        dosageInstruction: 'twice daily',
        status: 7,
      },
      {
        resourceType: 'Observation',
        code: { coding: [{ system: 'http://loinc.org', code: '72514-3' }] },
        valueQuantity: { value: 'high' },
        component: {},
      },
      { resourceType: 'Procedure', code: { coding: null }, performedPeriod: 'yesterday' },
    ] as unknown as FhirResource[];
    const rec = index(junk, junk);
    const facts = computeFacts(rec, pathwayConfig);
    // ...and neither do the rules of every hook, nor rendering whatever they find.
    const renderer = new CardRenderer(loadCardTemplates(), pathwayConfig);
    for (const hook of ['patient-view', 'order-sign'] as const) {
      const result = evaluatePathway(rec, hook, pathwayConfig);
      for (const f of result.findings) expect(() => renderer.render(f, result.facts, rec)).not.toThrow();
    }
    expect(facts.hipConditions).toHaveLength(0); // a code written as a bare string is not a coding
    expect(rec.drafts).toHaveLength(2);
  });
});
