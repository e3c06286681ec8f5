import type { FhirResource } from 'fhir/r4.js';
import { computeFacts } from '../../src/pathway/facts.js';
import { index, pathwayConfig } from '../helpers/pathway.js';

/** docs/clinical-spec.md §2 "improving": baseline, latest within 6 weeks, minimal important change per instrument. */
const hipPain = {
  resourceType: 'Condition',
  id: 'c1',
  clinicalStatus: { coding: [{ code: 'active' }] },
  code: { coding: [{ system: 'http://snomed.info/sct', code: '49218002' }] },
  onsetDateTime: '2026-06-01',
};
const pt = {
  resourceType: 'Procedure',
  id: 'pt',
  status: 'completed',
  code: { coding: [{ system: 'http://snomed.info/sct', code: '91251008' }] },
  performedDateTime: '2026-08-01',
};
const score = (code: string, value: number, date: string): FhirResource => ({
  resourceType: 'Observation',
  id: `o${date}${code}`,
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code }] },
  effectiveDateTime: date,
  valueQuantity: { value },
});

const facts = (...extra: FhirResource[]) =>
  computeFacts(index([hipPain as FhirResource, pt as FhirResource, ...extra]), pathwayConfig);

describe('outcome trend', () => {
  test('baseline is the last value on or before therapy start, not the first ever', () => {
    const f = facts(score('72514-3', 3, '2026-06-15'), score('72514-3', 8, '2026-07-30'), score('72514-3', 6, '2026-11-20'));
    expect(f.proms[0]).toMatchObject({ instrument: 'pain-nrs', improvement: 2, improving: true });
    expect(f.proms[0]?.baseline?.value).toBe(8);
    expect(f.persistentHipPain).toBe(false);
  });
  test('without a value before therapy, the earliest after it is the baseline', () => {
    const f = facts(score('72514-3', 7, '2026-08-20'), score('72514-3', 6, '2026-11-20'));
    expect(f.proms[0]).toMatchObject({ improvement: 1, improving: false });
    expect(f.persistentHipPain).toBe(true);
  });
  test('a latest value older than 6 weeks is not a trend; a single value is not a trend', () => {
    expect(facts(score('72514-3', 8, '2026-07-01'), score('72514-3', 2, '2026-09-01')).proms[0]).toMatchObject({
      noTrendBecause: 'latest-too-old',
      improving: false,
    });
    expect(facts(score('72514-3', 8, '2026-11-20')).proms[0]).toMatchObject({ noTrendBecause: 'single-value', improving: false });
  });
  test('0-100 scores (HOOS, higher is better) need 10 points', () => {
    expect(facts(score('82323-7', 50, '2026-07-15'), score('82323-7', 59, '2026-11-20')).improving).toBe(false);
    expect(facts(score('82323-7', 50, '2026-07-15'), score('82323-7', 60, '2026-11-20')).improving).toBe(true);
  });
  test('instruments are compared only with themselves', () => {
    const f = facts(score('72514-3', 8, '2026-07-15'), score('38208-5', 2, '2026-11-20'));
    expect(f.proms.map((t) => [t.instrument, t.noTrendBecause])).toEqual([
      ['pain-nrs', 'single-value'],
      ['pain-severity', 'single-value'],
    ]);
    expect(f.improving).toBe(false);
  });
  test('the thresholds are configuration', () => {
    const lenient = { ...pathwayConfig, minimalImportantChange: { scale0to10: 1, scale0to100: 10 } };
    const f = computeFacts(
      index([hipPain as FhirResource, pt as FhirResource, score('72514-3', 7, '2026-07-20'), score('72514-3', 6, '2026-11-20')]),
      lenient,
    );
    expect(f.improving).toBe(true);
  });
});

/** The condition that suggestions name as their reasonReference: the most specific hip diagnosis, then the earliest. */
describe('main hip condition', () => {
  const condition = (id: string, code: string, onset: string, status = 'active'): FhirResource =>
    ({
      resourceType: 'Condition',
      id,
      clinicalStatus: { coding: [{ code: status }] },
      code: { coding: [{ system: 'http://snomed.info/sct', code }] },
      onsetDateTime: onset,
    }) as FhirResource;
  const main = (...resources: FhirResource[]) => computeFacts(index(resources), pathwayConfig).mainHipCondition?.ref;

  test('a diagnosis outranks the symptom "pain in hip", even when the symptom came first', () => {
    expect(main(condition('pain', '49218002', '2026-01-01'), condition('oa', '239872002', '2026-09-01'))).toBe('Condition/oa');
  });
  test('of two of the same kind, the earliest', () => {
    expect(main(condition('late', '239872002', '2026-09-01'), condition('early', '239872002', '2025-09-01'))).toBe(
      'Condition/early',
    );
  });
  test('a resolved diagnosis is not the main condition; the symptom alone is', () => {
    expect(main(condition('pain', '49218002', '2026-01-01'), condition('old-oa', '239872002', '2020-01-01', 'resolved'))).toBe(
      'Condition/pain',
    );
  });
  test('no active hip condition, no main condition', () => {
    expect(main(condition('old-oa', '239872002', '2020-01-01', 'resolved'))).toBeUndefined();
  });
});

/** docs/clinical-spec.md §2: a structural diagnosis is an active Condition or a hip imaging report's conclusionCode. */
describe('diagnoses from imaging reports', () => {
  const sct = 'http://snomed.info/sct';
  const condition = (id: string, code: string, extra: object = {}): FhirResource =>
    ({
      resourceType: 'Condition',
      id,
      clinicalStatus: { coding: [{ code: 'active' }] },
      code: { coding: [{ system: sct, code }] },
      onsetDateTime: '2026-05-01',
      ...extra,
    }) as FhirResource;
  const report = (id: string, ...conclusions: [string, string][]): FhirResource => ({
    resourceType: 'DiagnosticReport',
    id,
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '37622-8', display: 'XR Pelvis AP' }] },
    effectiveDateTime: '2026-06-01',
    conclusionCode: conclusions.map(([code, display]) => ({ coding: [{ system: sct, code, display }] })),
  });
  const pain = condition('pain', '49218002');
  const oaReport = report('xr', ['239872002', 'Osteoarthritis of hip']);
  const f = (...resources: FhirResource[]) => computeFacts(index(resources), pathwayConfig);

  test('OA concluded by a report, with no OA Condition, is hip OA, named by the report', () => {
    expect(f(pain, oaReport).hipOsteoarthritis.map((d) => [d.ref, d.display])).toEqual([
      ['DiagnosticReport/xr', 'Osteoarthritis of hip on XR Pelvis AP'],
    ]);
  });
  test('an active OA Condition is used instead of the report', () => {
    expect(f(pain, oaReport, condition('oa', '239872002')).hipOsteoarthritis.map((d) => d.ref)).toEqual(['Condition/oa']);
  });
  test('a resolved or refuted OA Condition overrides the report; an entered-in-error one does not', () => {
    const resolved = condition('oa', '239872002', { clinicalStatus: { coding: [{ code: 'resolved' }] } });
    const refuted = condition('oa', '239872002', { verificationStatus: { coding: [{ code: 'refuted' }] } });
    const error = condition('oa', '239872002', { verificationStatus: { coding: [{ code: 'entered-in-error' }] } });
    expect(f(pain, oaReport, resolved).hipOsteoarthritis).toEqual([]);
    expect(f(pain, oaReport, refuted).hipOsteoarthritis).toEqual([]);
    expect(f(pain, oaReport, error).hipOsteoarthritis.map((d) => d.ref)).toEqual(['DiagnosticReport/xr']);
  });
  test('per diagnosis: an FAI Condition does not hide a labral tear that only a report concludes', () => {
    const mri = report('mri', ['202336002', 'Acetabular labrum tear']);
    expect(
      f(pain, condition('fai', '432473000'), mri)
        .hipPreservationDiagnoses.map((d) => d.ref)
        .sort(),
    ).toEqual(['Condition/fai', 'DiagnosticReport/mri']);
  });
  test('a cancelled report concludes nothing', () => {
    const cancelled = { ...(oaReport as object), status: 'cancelled' } as FhirResource;
    expect(f(pain, cancelled).hipOsteoarthritis).toEqual([]);
  });
});
