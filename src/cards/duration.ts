/**
 * How long ago something started, the way a clinician reads it at a glance (docs/clinical-spec.md §3): days under
 * 2 weeks, weeks under 6 months, months under 2 years, years above. Whole units, rounded down ("16 weeks",
 * "8 months", "37 years"); a date in the future or today is "0 days".
 */

const DAY_MS = 24 * 60 * 60 * 1000;

/** Whole calendar months from `from` to `to` (the day of the month counts: Jan 31 -> Feb 28 is 0 months). */
export function wholeMonthsBetween(from: Date, to: Date): number {
  let months = (to.getUTCFullYear() - from.getUTCFullYear()) * 12 + (to.getUTCMonth() - from.getUTCMonth());
  const dayTime = (d: Date): number => d.getTime() - Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  if (dayTime(to) < dayTime(from)) months -= 1;
  return Math.max(0, months);
}

function plural(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

export function readableDuration(from: Date, to: Date): string {
  if (!Number.isFinite(from.getTime()) || !Number.isFinite(to.getTime())) return 'an unknown time';
  const days = Math.max(0, Math.floor((to.getTime() - from.getTime()) / DAY_MS));
  if (days < 14) return plural(days, 'day');
  const months = wholeMonthsBetween(from, to);
  if (months < 6) return plural(Math.floor(days / 7), 'week');
  if (months < 24) return plural(months, 'month');
  return plural(Math.floor(months / 12), 'year');
}
