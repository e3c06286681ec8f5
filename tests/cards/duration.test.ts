import { readableDuration, wholeMonthsBetween } from '../../src/cards/duration.js';

/** Durations on cards (docs/clinical-spec.md §3): days under 2 weeks, weeks under 6 months, months under 2 years, years above. */
const now = new Date('2026-12-01T10:00:00Z');
const daysAgo = (n: number): Date => new Date(now.getTime() - n * 86_400_000);
const monthsAgo = (n: number): Date => {
  const d = new Date(now.getTime());
  d.setUTCMonth(d.getUTCMonth() - n);
  return d;
};

describe('readableDuration', () => {
  test.each([
    [daysAgo(0), '0 days'],
    [daysAgo(1), '1 day'],
    [daysAgo(13), '13 days'],
    [daysAgo(14), '2 weeks'],
    [daysAgo(16 * 7 + 3), '16 weeks'],
    [monthsAgo(6), '6 months'],
    [daysAgo(180), '25 weeks'],
    [monthsAgo(23), '23 months'],
    [monthsAgo(24), '2 years'],
    [daysAgo(1958 * 7), '37 years'],
  ])('%s -> %s', (from, text) => {
    expect(readableDuration(from, now)).toBe(text);
  });

  test('a date in the future is 0 days; an invalid date is not a number of anything', () => {
    expect(readableDuration(daysAgo(-5), now)).toBe('0 days');
    expect(readableDuration(new Date(Number.NaN), now)).toBe('an unknown time');
  });

  test('whole calendar months count the day of the month', () => {
    expect(wholeMonthsBetween(new Date('2026-01-31T00:00:00Z'), new Date('2026-02-28T00:00:00Z'))).toBe(0);
    expect(wholeMonthsBetween(new Date('2026-01-15T00:00:00Z'), new Date('2026-02-15T00:00:00Z'))).toBe(1);
  });
});
