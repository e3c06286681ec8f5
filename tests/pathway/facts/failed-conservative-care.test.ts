import { failedConservativeCare } from '../../../src/pathway/facts/failed-conservative-care.js';
import { pathwayConfig } from '../../helpers/pathway.js';
import { ago, facts, hipOa, naproxen, now, pain, physio } from './build.js';

/** docs/clinical-spec.md §2 failed conservative care: persistent hip pain and exercise therapy started >= 3 months ago. */
describe('failed conservative care', () => {
  test('needs exercise therapy started at least 3 months ago', () => {
    expect(failedConservativeCare({ persistentHipPain: true, therapyStart: new Date(ago(4, 'm')) }, now, pathwayConfig)).toBe(
      true,
    );
    expect(failedConservativeCare({ persistentHipPain: true, therapyStart: new Date(ago(2, 'm')) }, now, pathwayConfig)).toBe(
      false,
    );
    expect(failedConservativeCare({ persistentHipPain: false, therapyStart: new Date(ago(4, 'm')) }, now, pathwayConfig)).toBe(
      false,
    );
    expect(failedConservativeCare({ persistentHipPain: true }, now, pathwayConfig)).toBe(false);
  });
  test('analgesics alone are never enough: naproxen for a year without therapy', () => {
    const f = facts([hipOa(ago(8, 'm')), naproxen(ago(8, 'm')), pain(7, ago(1, 'w'))]);
    expect(f.persistentHipPain).toBe(true);
    expect(f.currentHipAnalgesics).toHaveLength(1);
    expect(f.failedConservativeCare).toBe(false);
  });
  test('on a record: therapy for 4 months, pain 7 -> 7', () => {
    expect(
      facts([hipOa(ago(8, 'm')), physio(ago(4, 'm')), pain(7, ago(17, 'w')), pain(7, ago(1, 'w'))]).failedConservativeCare,
    ).toBe(true);
  });
});
