import type { FhirResource } from 'fhir/r4.js';
import { asOf, chartAt, dayAfterLastEncounter } from '../../tools/as-of.js';

/** npm run evaluate -- <file> --as-of last-encounter | <date>: the chart as it was then. */
const entries = (...resources: object[]) => resources.map((r) => ({ resource: r as FhirResource }));
const encounter = (start: string, end?: string) => ({
  resourceType: 'Encounter',
  period: { start, ...(end !== undefined ? { end } : {}) },
});

describe('as of', () => {
  test('last-encounter is the day after the latest encounter (its end, else its start)', () => {
    const e = entries(encounter('2020-01-01T10:00:00Z'), encounter('2020-03-01T10:00:00Z', '2020-03-02T09:00:00Z'), {
      resourceType: 'Patient',
    });
    expect(dayAfterLastEncounter(e)?.toISOString()).toBe('2020-03-03T12:00:00.000Z');
    expect(asOf('last-encounter', e).toISOString()).toBe('2020-03-03T12:00:00.000Z');
    expect(() => asOf('last-encounter', entries({ resourceType: 'Patient' }))).toThrow(/no Encounter/);
  });
  test('a date, or a dateTime; anything else is refused', () => {
    expect(asOf('2021-05-04', []).toISOString()).toBe('2021-05-04T12:00:00.000Z');
    expect(asOf('2021-05-04T08:00:00Z', []).toISOString()).toBe('2021-05-04T08:00:00.000Z');
    expect(() => asOf('yesterday', [])).toThrow(/last-encounter/);
  });
  test('what was recorded later is left out; undated resources stay', () => {
    const e = entries(
      { resourceType: 'Condition', onsetDateTime: '2020-01-01' },
      { resourceType: 'Condition', onsetDateTime: '2022-01-01' },
      { resourceType: 'MedicationRequest', authoredOn: '2021-06-01' },
      { resourceType: 'Observation', effectiveDateTime: '2020-06-01' },
      { resourceType: 'Patient' },
    );
    expect(chartAt(e, new Date('2021-01-01T00:00:00Z')).map((x) => x.resource.resourceType)).toEqual([
      'Condition',
      'Observation',
      'Patient',
    ]);
  });
});
