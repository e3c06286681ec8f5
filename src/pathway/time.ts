/** Windows are measured back from "now", the time of the request (docs/clinical-spec.md §1). */

const DAY = 24 * 60 * 60 * 1000;

export function daysBefore(now: Date, days: number): Date {
  return new Date(now.getTime() - days * DAY);
}

export function weeksBefore(now: Date, weeks: number): Date {
  return daysBefore(now, weeks * 7);
}

/** The months-back of the last "now" asked for, by number of months (a call asks for a few, many times). */
let monthsNow = NaN;
const monthsBack = new Map<number, number>();

/** Calendar months back (the 23rd of the month, n months earlier; clamped at month end). A new Date each time. */
export function monthsBefore(now: Date, months: number): Date {
  const t = now.getTime();
  if (t !== monthsNow) {
    monthsNow = t;
    monthsBack.clear();
  }
  let ms = monthsBack.get(months);
  if (ms === undefined) {
    const d = new Date(t);
    const day = d.getUTCDate();
    d.setUTCDate(1);
    d.setUTCMonth(d.getUTCMonth() - months);
    const lastDay = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
    d.setUTCDate(Math.min(day, lastDay));
    ms = d.getTime();
    monthsBack.set(months, ms);
  }
  return new Date(ms);
}

export function wholeWeeksBetween(from: Date, to: Date): number {
  return Math.floor((to.getTime() - from.getTime()) / (7 * DAY));
}

/** YYYY-MM-DD, the way every card writes a date. */
export function isoDay(d: Date): string {
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() + 1;
  const day = d.getUTCDate();
  if (y < 0 || y > 9999) return d.toISOString().slice(0, 10);
  return `${y < 1000 ? String(y).padStart(4, '0') : y}-${m < 10 ? '0' : ''}${m}-${day < 10 ? '0' : ''}${day}`;
}
