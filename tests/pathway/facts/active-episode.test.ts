import { activeEpisode } from '../../../src/pathway/facts/active-episode.js';
import { hipConditions } from '../../../src/pathway/facts/hip-conditions.js';
import { pathwayConfig } from '../../helpers/pathway.js';
import { ago, event, hipOa, med, naproxen, pain, physio, record, score, SCT } from './build.js';
import type { FhirResource } from 'fhir/r4.js';

/** docs/clinical-spec.md §2 active episode: a recent hip condition, or hip care within 6 months; else dormant. */
const active = (...resources: FhirResource[]) => {
  const r = record(...resources);
  return activeEpisode(r, hipConditions(r), pathwayConfig);
};
const OLD_OA = () => hipOa(ago(3, 'y'));

describe('active episode', () => {
  test('a hip condition with onset within 12 months, or recorded within 12 months', () => {
    expect(active(hipOa(ago(11, 'm')))?.kind).toBe('recent-condition');
    expect(active(hipOa(ago(3, 'y'), { recordedDate: ago(2, 'm') }))?.kind).toBe('recent-condition');
    expect(active(hipOa(ago(13, 'm')))).toBeUndefined();
  });
  test('no hip condition: no episode at all', () => {
    expect(active(pain(8, ago(1, 'w')))).toBeUndefined();
  });
  test('a 0-10 pain score counts as hip care only from 4 (a routine low score is not)', () => {
    expect(active(OLD_OA(), pain(4, ago(1, 'w')))).toMatchObject({ kind: 'hip-care', care: 'pain-score' });
    expect(active(OLD_OA(), pain(3, ago(1, 'w')))).toBeUndefined();
  });
  test('a hip PROM (HOOS JR) of any value is hip care', () => {
    expect(active(OLD_OA(), score('82323-7', 80, ago(5, 'm')))).toMatchObject({ care: 'prom' });
  });
  test('hip care counts within 6 months, not before', () => {
    expect(active(OLD_OA(), physio(ago(5, 'm')))).toMatchObject({ care: 'exercise-therapy' });
    expect(active(OLD_OA(), physio(ago(7, 'm')))).toBeUndefined();
  });
  test('hip imaging, a hip joint injection, an orthopaedic referral count', () => {
    expect(active(OLD_OA(), event('DiagnosticReport', 'http://loinc.org', '36663-3', ago(2, 'm')))).toMatchObject({
      care: 'imaging',
    });
    expect(
      active(
        OLD_OA(),
        event('Procedure', 'http://www.ama-assn.org/go/cpt', '20610', ago(2, 'm'), {
          bodySite: [{ coding: [{ system: SCT, code: '24136001' }] }],
        }),
      ),
    ).toMatchObject({ care: 'injection' });
    expect(active(OLD_OA(), event('ServiceRequest', SCT, '308481009', ago(2, 'm')))).toMatchObject({ care: 'referral' });
  });
  test('a hip analgesic authored within 6 months counts, unless its reason is another condition', () => {
    expect(active(OLD_OA(), naproxen(ago(2, 'm')))).toMatchObject({ care: 'analgesic' });
    const dental = {
      reasonCode: [{ coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'K04.7' }] }],
    };
    expect(active(OLD_OA(), naproxen(ago(2, 'm'), dental))).toBeUndefined();
    expect(active(OLD_OA(), naproxen(ago(3, 'y')))).toBeUndefined();
    expect(active(OLD_OA(), med('198014', ago(2, 'm'), { status: 'entered-in-error' }))).toBeUndefined();
  });
  test('an analgesic without a reason ordered at a visit that diagnosed only another condition is not hip care', () => {
    const visit = { encounter: { reference: 'Encounter/e1' } };
    const whiplash = {
      resourceType: 'Condition',
      id: 'whiplash',
      clinicalStatus: { coding: [{ code: 'resolved' }] },
      code: { coding: [{ system: SCT, code: '39848009' }] },
      onsetDateTime: ago(2, 'm'),
      ...visit,
    } as FhirResource;
    expect(active(OLD_OA(), naproxen(ago(2, 'm'), visit), whiplash)).toBeUndefined();
    const hipVisit = { ...(OLD_OA() as object), recordedDate: ago(4, 'y'), ...visit } as FhirResource;
    expect(active(hipVisit, naproxen(ago(2, 'm'), visit))).toMatchObject({ care: 'analgesic' });
  });
  test('the windows are configuration', () => {
    const r = record(OLD_OA(), physio(ago(7, 'm')));
    expect(activeEpisode(r, hipConditions(r), { ...pathwayConfig, activeEpisodeCareMonths: 8 })).toMatchObject({
      care: 'exercise-therapy',
    });
  });
});
