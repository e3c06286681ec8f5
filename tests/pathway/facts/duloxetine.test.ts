import {
  acetaminophenMaxDailyMg,
  duloxetineContraindications,
  latestEgfr,
  liverDisease,
} from '../../../src/pathway/facts/duloxetine.js';
import { pathwayConfig } from '../../helpers/pathway.js';
import { ago, condition, med, record, score } from './build.js';
import type { FhirResource } from 'fhir/r4.js';

/** docs/clinical-spec.md §2 duloxetine contraindicated. */
const kinds = (...resources: FhirResource[]) => {
  const r = record(...resources);
  return duloxetineContraindications(r, latestEgfr(r, pathwayConfig), liverDisease(r), pathwayConfig).map((c) => c.kind);
};

describe('duloxetine contraindicated', () => {
  test('tramadol (alone or with acetaminophen), an SSRI, another SNRI: serotonergic', () => {
    expect(kinds(med('835603', ago(1, 'm')))).toEqual(['serotonergic']);
    expect(kinds(med('836395', ago(1, 'm')))).toEqual(['serotonergic']);
    expect(kinds(med('36437', ago(1, 'm')))).toEqual(['serotonergic']); // sertraline (ingredient)
    expect(kinds(med('39786', ago(1, 'm')))).toEqual(['serotonergic']); // venlafaxine
    expect(kinds(med('x', ago(1, 'm'), { medicationCodeableConcept: { text: 'escitalopram 10 mg tablet' } }))).toEqual([
      'serotonergic',
    ]);
  });
  test('not duloxetine itself, another opioid, bupropion, or a stopped SSRI', () => {
    expect(kinds(med('596930', ago(1, 'm')))).toEqual([]);
    expect(kinds(med('1049621', ago(1, 'm')))).toEqual([]); // oxycodone
    expect(kinds(med('42347', ago(1, 'm')))).toEqual([]); // bupropion
    expect(kinds(med('36437', ago(1, 'y'), { status: 'stopped' }))).toEqual([]);
  });
  test('a current MAOI, eGFR below 30 within 12 months, chronic liver disease', () => {
    expect(kinds(med('8123', ago(1, 'm')))).toEqual(['maoi']);
    expect(kinds(score('62238-1', 25, ago(2, 'm')))).toEqual(['low-egfr']);
    expect(kinds(score('62238-1', 25, ago(13, 'm')))).toEqual([]);
    expect(kinds(condition('19943007', ago(2, 'y')))).toEqual(['liver-disease']);
  });
});

describe('acetaminophen daily maximum (docs/clinical-spec.md §3)', () => {
  test('4 g; 2 g with active chronic liver disease or cirrhosis; a resolved one does not lower it', () => {
    expect(acetaminophenMaxDailyMg(liverDisease(record()), pathwayConfig)).toBe(4000);
    expect(acetaminophenMaxDailyMg(liverDisease(record(condition('19943007', ago(2, 'y')))), pathwayConfig)).toBe(2000);
    const resolved = condition('19943007', ago(2, 'y'), { clinicalStatus: { coding: [{ code: 'resolved' }] } });
    expect(acetaminophenMaxDailyMg(liverDisease(record(resolved)), pathwayConfig)).toBe(4000);
  });
});
