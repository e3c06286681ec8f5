import { dailyMaximum } from '../../src/pathway/dosing.js';
import type { MedicationEntry } from '../../src/record/types.js';
import { index, medication, RX, UCUM } from '../helpers/pathway.js';

/** docs/clinical-spec.md §3 acetaminophen-max-dose: the daily acetaminophen dose from dosageInstruction. */
const APAP = 'medication-acetaminophen';
const apap500 = {
  medicationCodeableConcept: { coding: [{ system: RX, code: '198440', display: 'acetaminophen 500 MG Oral Tablet' }] },
};
const oxyApap = {
  medicationCodeableConcept: {
    coding: [{ system: RX, code: '1049221', display: 'acetaminophen 325 MG / oxycodone hydrochloride 5 MG Oral Tablet' }],
  },
};

function order(product: object, dosageInstruction: unknown): MedicationEntry {
  const rec = index([medication({ ...product, dosageInstruction })]);
  return rec.medications[0] as MedicationEntry;
}
const every = (hours: number, value: number, code: string, extra: object = {}) => ({
  timing: { repeat: { frequency: 1, period: hours, periodUnit: 'h' } },
  doseAndRate: [{ doseQuantity: { value, unit: code, system: UCUM, code } }],
  ...extra,
});

describe('daily acetaminophen maximum', () => {
  test('a daily dose that cannot be real (3e+21 g, above the implausible limit) cannot be computed', () => {
    const absurd = order(apap500, [every(6, 3e21, 'g')]);
    expect(dailyMaximum(absurd, APAP)).toMatchObject({ ok: true });
    expect(dailyMaximum(absurd, APAP, 100000)).toEqual({
      ok: false,
      reason: 'the computed daily dose cannot be real (cannot compute)',
    });
    expect(dailyMaximum(order(apap500, [every(6, 20, 'g')]), APAP, 100000)).toMatchObject({ ok: true, mg: 80000 });
  });
  test('mg per dose times doses per day: 1000 mg every 8 hours = 3000 mg', () => {
    expect(dailyMaximum(order(apap500, [every(8, 1000, 'mg')]), APAP)).toMatchObject({ ok: true, mg: 3000 });
  });
  test('grams convert to mg: 1 g every 6 hours = 4000 mg', () => {
    expect(dailyMaximum(order(apap500, [every(6, 1, 'g')]), APAP)).toMatchObject({ ok: true, mg: 4000 });
  });
  test('tablets times the product strength: 2 x 500 mg every 4 hours = 6000 mg', () => {
    expect(dailyMaximum(order(apap500, [every(4, 2, '{tbl}')]), APAP)).toMatchObject({ ok: true, mg: 6000 });
  });
  test('a combination tablet counts its acetaminophen: 2 x 325 mg every 6 hours = 2600 mg', () => {
    expect(dailyMaximum(order(oxyApap, [every(6, 2, 'TAB')]), APAP)).toMatchObject({ ok: true, mg: 2600 });
  });
  test('frequencyMax and timing codes: up to 3 times a day, and QID', () => {
    const tid = {
      timing: { repeat: { frequency: 2, frequencyMax: 3, period: 1, periodUnit: 'd' } },
      doseAndRate: [{ doseQuantity: { value: 1000, code: 'mg' } }],
    };
    expect(dailyMaximum(order(apap500, [tid]), APAP)).toMatchObject({ ok: true, mg: 3000 });
    const qid = { timing: { code: { coding: [{ code: 'QID' }] } }, doseAndRate: [{ doseQuantity: { value: 650, unit: 'mg' } }] };
    expect(dailyMaximum(order(apap500, [qid]), APAP)).toMatchObject({ ok: true, mg: 2600 });
  });
  test('maxDosePerPeriod caps a schedule, and stands alone for an as-needed order', () => {
    const capped = every(4, 1000, 'mg', {
      maxDosePerPeriod: { numerator: { value: 3, unit: 'g', code: 'g' }, denominator: { value: 1, unit: 'd', code: 'd' } },
    });
    expect(dailyMaximum(order(apap500, [capped]), APAP)).toMatchObject({ ok: true, mg: 3000 });
    const prn = {
      asNeededBoolean: true,
      doseAndRate: [{ doseQuantity: { value: 500, code: 'mg' } }],
      maxDosePerPeriod: { numerator: { value: 8, code: '{tbl}' }, denominator: { value: 24, code: 'h' } },
    };
    expect(dailyMaximum(order(apap500, [prn]), APAP)).toMatchObject({ ok: true, mg: 4000 });
  });
  test('dosages of the same sequence add up; different sequences take the largest', () => {
    const together = [
      { ...every(24, 1000, 'mg'), sequence: 1 },
      { ...every(12, 1000, 'mg'), sequence: 1 },
    ];
    expect(dailyMaximum(order(apap500, together), APAP)).toMatchObject({ ok: true, mg: 3000 });
    const taper = [
      { ...every(6, 1000, 'mg'), sequence: 1 },
      { ...every(12, 500, 'mg'), sequence: 2 },
    ];
    expect(dailyMaximum(order(apap500, taper), APAP)).toMatchObject({ ok: true, mg: 4000 });
  });
  test('a solution by mL times its concentration from the Medication resource', () => {
    const liquid = order(
      {
        contained: [
          {
            resourceType: 'Medication',
            id: 'm',
            code: { text: 'acetaminophen 160 mg/5 mL oral solution' },
            ingredient: [
              {
                itemCodeableConcept: { coding: [{ system: RX, code: '161' }] },
                strength: { numerator: { value: 160, code: 'mg' }, denominator: { value: 5, code: 'mL' } },
              },
            ],
          },
        ],
        medicationReference: { reference: '#m' },
      },
      [every(6, 20, 'mL')],
    );
    expect(dailyMaximum(liquid, APAP)).toMatchObject({ ok: true, mg: 2560 });
  });
  test('cannot compute: no dosage, no frequency, an unknown unit, or mg of a combination product', () => {
    expect(dailyMaximum(order(apap500, undefined), APAP)).toEqual({ ok: false, reason: 'the order has no dosageInstruction' });
    expect(dailyMaximum(order(apap500, [{ doseAndRate: [{ doseQuantity: { value: 1000, code: 'mg' } }] }]), APAP)).toEqual({
      ok: false,
      reason: 'the dosage gives no frequency (timing) and no maxDosePerPeriod',
    });
    expect(dailyMaximum(order(apap500, [every(6, 1, 'spoon')]), APAP)).toEqual({
      ok: false,
      reason: 'the dose unit "spoon" is not one the service can convert',
    });
    expect(dailyMaximum(order(oxyApap, [every(6, 325, 'mg')]), APAP)).toEqual({
      ok: false,
      reason: 'a dose in mg of a combination product does not say how much is acetaminophen',
    });
  });
  test('tablets of an uncoded product with unknown strength cannot be computed', () => {
    const uncoded = order({ medicationCodeableConcept: { text: 'Tylenol extra strength' } }, [every(6, 2, '{tbl}')]);
    expect(uncoded.classes.has(APAP)).toBe(true);
    expect(dailyMaximum(uncoded, APAP)).toEqual({ ok: false, reason: 'the acetaminophen strength of the product is not known' });
  });
});
