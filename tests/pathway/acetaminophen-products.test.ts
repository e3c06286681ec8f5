import { dailyMaximum } from '../../src/pathway/dosing.js';
import { index, medication, RX, terminology } from '../helpers/pathway.js';

/**
 * docs/clinical-spec.md §3 acetaminophen-max-dose judges every acetaminophen-containing product: each product code
 * of valuesets/medication-products.json with an acetaminophen ingredient (clinical or branded drug) is recognised,
 * and a dose in its own units (tablets, capsules, mL) is computed with its strength.
 */
const APAP = 'medication-acetaminophen';
const products = [...terminology.products.values()].filter((p) => p.ingredients.some((i) => i.code === '161'));
const UNIT: Partial<Record<string, string>> = { tablet: '{tbl}', capsule: '{capsule}', solution: 'mL', suspension: 'mL' };

test('there are acetaminophen products, branded ones among them', () => {
  expect(products.length).toBeGreaterThan(100);
  expect(products.some((p) => p.code === '209459')).toBe(true);
});

test.each(products.map((p) => [p.code, p.display, p.doseForm] as const))('%s %s', (code, _display, form) => {
  const unit = UNIT[form];
  const dosage =
    unit === undefined
      ? []
      : [
          {
            timing: { repeat: { frequency: 1, period: 6, periodUnit: 'h' } },
            doseAndRate: [{ doseQuantity: { value: 2, unit, code: unit } }],
          },
        ];
  const order = index([
    medication({ status: 'draft', medicationCodeableConcept: { coding: [{ system: RX, code }] }, dosageInstruction: dosage }),
  ]).medications;
  const entry = order[0];
  expect(entry?.classes.has(APAP)).toBe(true);
  if (entry !== undefined && unit !== undefined) expect(dailyMaximum(entry, APAP)).toMatchObject({ ok: true });
});
