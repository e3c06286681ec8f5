import { adultAlive, excludedPatient } from '../../../src/pathway/facts/excluded.js';
import { episodeStart, hipConditions } from '../../../src/pathway/facts/hip-conditions.js';
import { earlyOveruseInjuries, overuseInjuries } from '../../../src/pathway/facts/overuse.js';
import { exerciseTherapy, therapyStart } from '../../../src/pathway/facts/exercise-therapy.js';
import { giRiskFactors } from '../../../src/pathway/facts/gi-risk.js';
import { recentHipInjections, recentOrthopedicReferrals } from '../../../src/pathway/facts/recent-care.js';
import { pathwayConfig } from '../../helpers/pathway.js';
import { ago, condition, event, hipOa, hipPain, med, now, patient, physio, record, SCT } from './build.js';

describe('excluded patient (docs/clinical-spec.md §2)', () => {
  test('under 18, deceased (a death dated after now is not yet one), an active hip fracture', () => {
    expect(excludedPatient(record(patient(17)), pathwayConfig)).toBe('paediatric');
    expect(excludedPatient(record(patient(70, { deceasedDateTime: ago(1, 'd') })), pathwayConfig)).toBe('deceased');
    expect(excludedPatient(record(patient(70, { deceasedDateTime: '2999-01-01' })), pathwayConfig)).toBeUndefined();
    expect(excludedPatient(record(patient(70), condition('359817006', ago(1, 'm'))), pathwayConfig)).toBe('hip-fracture');
    expect(adultAlive(record(patient(70), condition('359817006', ago(1, 'm'))), pathwayConfig)).toBe(true);
  });
});

describe('hip condition and episode start (docs/clinical-spec.md §2)', () => {
  test('active hip conditions only; the episode starts at the earliest onset', () => {
    const r = record(
      hipPain(ago(2, 'm')),
      hipOa(ago(1, 'y')),
      hipOa(ago(3, 'y'), { clinicalStatus: { coding: [{ code: 'resolved' }] } }),
    );
    const hip = hipConditions(r);
    expect(hip).toHaveLength(2);
    expect(episodeStart(hip)?.toISOString()).toBe(ago(1, 'y'));
  });
});

describe('overuse injury (docs/clinical-spec.md §2)', () => {
  test('GTPS, tendinopathy, strain; early when younger than 6 weeks', () => {
    const hip = hipConditions(record(condition('7674000', ago(3, 'w')), condition('424010006', ago(8, 'w')), hipOa(ago(1, 'w'))));
    expect(overuseInjuries(hip)).toHaveLength(2);
    expect(earlyOveruseInjuries(overuseInjuries(hip), now, pathwayConfig)).toHaveLength(1);
  });
});

describe('exercise therapy (docs/clinical-spec.md §2)', () => {
  test('from episode start minus 30 days; completed or in-progress procedures; therapy start is the earliest', () => {
    const r = record(hipPain(ago(3, 'm')), physio(ago(100, 'd')), physio(ago(140, 'd')), physio(ago(1, 'm'), 'not-done'));
    const t = exerciseTherapy(r, true, episodeStart(hipConditions(r)), pathwayConfig);
    expect(t).toHaveLength(1);
    expect(therapyStart(t)?.toISOString()).toBe(ago(100, 'd'));
  });
});

describe('GI risk factor (docs/clinical-spec.md §2)', () => {
  test('age 65, ulcer history (resolved counts), antithrombotic, systemic corticosteroid', () => {
    const r = record(
      patient(66),
      condition('13200003', ago(5, 'y'), { clinicalStatus: { coding: [{ code: 'resolved' }] } }),
      med('855332', ago(1, 'y')),
      med('198145', ago(1, 'm')),
    );
    expect(giRiskFactors(r, 66, pathwayConfig).map((g) => g.kind)).toEqual([
      'age',
      'peptic-ulcer',
      'antithrombotic',
      'systemic-corticosteroid',
    ]);
  });
});

describe('recent hip injections and orthopaedic referrals (docs/clinical-spec.md §3)', () => {
  test('within 3 and 12 months, done or pending', () => {
    const hipSite = { bodySite: [{ coding: [{ system: SCT, code: '24136001' }] }] };
    const cpt = 'http://www.ama-assn.org/go/cpt';
    const r = record(
      event('Procedure', cpt, '20611', ago(2, 'm'), hipSite),
      event('Procedure', cpt, '20611', ago(4, 'm'), hipSite),
      event('ServiceRequest', SCT, '308481009', ago(11, 'm')),
      event('ServiceRequest', SCT, '308481009', ago(2, 'm'), { status: 'revoked' }),
    );
    expect(recentHipInjections(r, pathwayConfig)).toHaveLength(1);
    expect(recentOrthopedicReferrals(r, pathwayConfig)).toHaveLength(1);
  });
});
