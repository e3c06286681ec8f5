import { isoDay, monthsBefore } from '../../src/pathway/time.js';

/** Windows are measured back from "now" (docs/clinical-spec.md §1): calendar months, clamped at month end. */
describe('months before now', () => {
  test('the same day of the month, n months earlier, clamped at the end of a shorter month', () => {
    expect(isoDay(monthsBefore(new Date('2026-03-31T10:00:00Z'), 1))).toBe('2026-02-28');
    expect(isoDay(monthsBefore(new Date('2024-03-31T10:00:00Z'), 1))).toBe('2024-02-29');
    expect(isoDay(monthsBefore(new Date('2026-12-01T10:00:00Z'), 3))).toBe('2026-09-01');
    expect(isoDay(monthsBefore(new Date('2026-01-15T10:00:00Z'), 13))).toBe('2024-12-15');
    expect(monthsBefore(new Date('2026-12-01T10:30:00Z'), 6).toISOString()).toBe('2026-06-01T10:30:00.000Z');
  });

  test('asked again, for the same or another now, it answers the same; each answer is a Date of its own', () => {
    const now = new Date('2026-03-31T10:00:00Z');
    const first = monthsBefore(now, 1);
    first.setUTCFullYear(1999); // a caller changing its answer changes no later answer
    expect(isoDay(monthsBefore(now, 1))).toBe('2026-02-28');
    expect(isoDay(monthsBefore(now, 3))).toBe('2025-12-31');
    expect(isoDay(monthsBefore(new Date('2026-05-31T10:00:00Z'), 1))).toBe('2026-04-30');
    expect(isoDay(monthsBefore(now, 1))).toBe('2026-02-28');
  });
});
