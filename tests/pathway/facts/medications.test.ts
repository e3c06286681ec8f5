import { currentHipAnalgesics, currentMedications } from '../../../src/pathway/facts/medications.js';
import { ago, med, naproxen, record } from './build.js';

/** docs/clinical-spec.md §1 current medications, §3 clopidogrel and antithrombotics for nsaid-gastroprotection. */
describe('current medications', () => {
  test('active or on-hold count; stopped and drafts do not', () => {
    const c = currentMedications(
      record(naproxen(ago(1, 'm')), naproxen(ago(1, 'm'), { status: 'on-hold' }), naproxen(ago(1, 'y'), { status: 'stopped' })),
    );
    expect(c.nsaid).toHaveLength(2);
  });
  test('clopidogrel by product or ingredient, and as an antithrombotic', () => {
    const c = currentMedications(record(med('309362', ago(1, 'y')), med('32968', ago(1, 'y'))));
    expect(c.clopidogrel).toHaveLength(2);
    expect(c.antithrombotic).toHaveLength(2);
    expect(currentMedications(record(med('855332', ago(1, 'y')))).clopidogrel).toHaveLength(0); // warfarin
  });
  test('hip analgesics: NSAID, acetaminophen, duloxetine', () => {
    expect(
      currentHipAnalgesics(
        record(naproxen(ago(1, 'm')), med('198440', ago(1, 'm')), med('596930', ago(1, 'm')), med('855332', ago(1, 'm'))),
      ),
    ).toHaveLength(3);
  });
  test('branded acetaminophen (Tylenol SBD) is acetaminophen with its strength', () => {
    const r = record(med('209459', ago(1, 'm')));
    expect(currentMedications(r).acetaminophen).toHaveLength(1);
    expect(r.medications[0]?.ingredients[0]?.strength).toEqual({ value: 500, unit: 'mg' });
  });
});
