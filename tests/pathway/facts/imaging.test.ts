import {
  advancedImagingOnRecord,
  negativeOrEquivocalRadiograph,
  radiographsOnRecord,
} from '../../../src/pathway/facts/imaging.js';
import { pathwayConfig } from '../../helpers/pathway.js';
import { ago, event, hipPain, record, SCT } from './build.js';

const LOINC = 'http://loinc.org';
const CPT = 'http://www.ama-assn.org/go/cpt';
const xr = (status: string, conclusion?: string) =>
  event('DiagnosticReport', LOINC, '36663-3', ago(3, 'w'), {
    status,
    ...(conclusion !== undefined ? { conclusionCode: [{ coding: [{ system: SCT, code: conclusion }] }] } : {}),
  });

/** docs/clinical-spec.md §2 radiograph on record, negative or equivocal radiograph, advanced imaging on record. */
describe('radiograph on record', () => {
  test('within 12 months, any report status but cancelled or entered in error', () => {
    expect(radiographsOnRecord(record(xr('registered')), pathwayConfig)).toHaveLength(1);
    expect(radiographsOnRecord(record(xr('cancelled')), pathwayConfig)).toHaveLength(0);
    expect(radiographsOnRecord(record(event('DiagnosticReport', LOINC, '36663-3', ago(13, 'm'))), pathwayConfig)).toHaveLength(0);
  });
});

describe('negative or equivocal radiograph', () => {
  const negative = (...args: Parameters<typeof xr>) =>
    negativeOrEquivocalRadiograph(radiographsOnRecord(record(xr(...args)), pathwayConfig), false);
  test('a report with a result (preliminary included) concluding normal, a bare abnormal, or nothing', () => {
    expect(negative('preliminary', '168661005')).toBeDefined();
    expect(negative('final', '168662003')).toBeDefined();
    expect(negative('amended')).toBeDefined();
  });
  test('a registered report has no result yet; a structural diagnosis rules it out', () => {
    expect(negative('registered', '168661005')).toBeUndefined();
    expect(
      negativeOrEquivocalRadiograph(radiographsOnRecord(record(xr('final', '168661005')), pathwayConfig), true),
    ).toBeUndefined();
  });
});

describe('advanced imaging on record', () => {
  const hipSite = { bodySite: [{ coding: [{ system: SCT, code: '24136001' }] }] };
  const mri = (code: string, extra: object) =>
    advancedImagingOnRecord(record(hipPain(ago(1, 'y')), event('Procedure', CPT, code, ago(1, 'm'), extra)), pathwayConfig);
  test('a generic MRI code counts with a hip body site, a hip reason or text naming the hip', () => {
    expect(mri('73721', hipSite)).toHaveLength(1);
    expect(mri('72195', { code: { coding: [{ system: CPT, code: '72195' }], text: 'MRI pelvis and both hips' } })).toHaveLength(
      1,
    );
    expect(mri('73722', { reasonCode: [{ coding: [{ system: SCT, code: '49218002' }] }] })).toHaveLength(1);
    const snomedPelvis = event('Procedure', SCT, '396161000119106', ago(1, 'm'), hipSite);
    expect(advancedImagingOnRecord(record(snomedPelvis), pathwayConfig)).toHaveLength(1);
    expect(advancedImagingOnRecord(record(event('Procedure', SCT, '396161000119106', ago(1, 'm'))), pathwayConfig)).toHaveLength(
      0,
    );
  });
  test('not without one, nor for a knee reason', () => {
    expect(mri('73721', {})).toHaveLength(0);
    expect(
      mri('73721', {
        code: { coding: [{ system: CPT, code: '73721' }], text: 'MRI right knee' },
        reasonCode: [{ coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'M17.11' }] }],
      }),
    ).toHaveLength(0);
  });
});
