import type { FhirResource } from 'fhir/r4.js';

/**
 * A chart as it was on a given day: `--as-of last-encounter` opens it the day after its latest encounter, so a
 * Synthea record's trajectory can be reviewed as if live; `--as-of <date>` opens it on that date. Resources dated
 * after the day are left out (they had not happened yet).
 */
export type AsOf = 'now' | 'last-encounter' | Date;

export function parseAsOf(value: string | undefined): AsOf {
  if (value === undefined || value === 'now') return 'now';
  if (value === 'last-encounter') return 'last-encounter';
  const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T12:00:00Z` : value);
  if (Number.isNaN(d.getTime())) throw new Error(`--as-of takes last-encounter, now or a date (YYYY-MM-DD), got "${value}"`);
  return d;
}

function str(x: unknown): string | undefined {
  return typeof x === 'string' ? x : undefined;
}

function field(r: FhirResource, key: string): unknown {
  return (r as unknown as Record<string, unknown>)[key];
}

/** The date a resource happened on, as the pathway reads it (onset, performed, effective, authored, issued...). */
export function resourceDate(r: FhirResource): Date | undefined {
  const period = (k: string): string | undefined => str((field(r, k) as { start?: unknown } | undefined)?.start);
  const candidates = [
    str(field(r, 'onsetDateTime')),
    period('onsetPeriod'),
    str(field(r, 'recordedDate')),
    str(field(r, 'performedDateTime')),
    period('performedPeriod'),
    str(field(r, 'effectiveDateTime')),
    period('effectivePeriod'),
    str(field(r, 'authoredOn')),
    str(field(r, 'issued')),
    str(field(r, 'started')),
    period('period'),
    str(field(r, 'occurrenceDateTime')),
  ];
  for (const c of candidates) {
    if (c === undefined) continue;
    const d = new Date(c);
    if (!Number.isNaN(d.getTime())) return d;
  }
  return undefined;
}

/** The end (else start) of the latest Encounter of the record. */
export function lastEncounter(resources: readonly FhirResource[]): Date | undefined {
  let latest: Date | undefined;
  for (const r of resources) {
    if (r.resourceType !== 'Encounter') continue;
    const when = str(r.period?.end) ?? str(r.period?.start);
    const d = when !== undefined ? new Date(when) : undefined;
    if (d !== undefined && !Number.isNaN(d.getTime()) && (latest === undefined || d > latest)) latest = d;
  }
  return latest;
}

const DAY_MS = 24 * 3600 * 1000;

/** The "now" of an evaluation: the day after the latest encounter (noon UTC), a given date, or the clock. */
export function evaluationDate(asOf: AsOf, resources: readonly FhirResource[], clock: Date = new Date()): Date {
  if (asOf === 'now') return clock;
  if (asOf instanceof Date) return asOf;
  const last = lastEncounter(resources);
  if (last === undefined) return clock;
  const next = new Date(last.getTime() + DAY_MS);
  next.setUTCHours(12, 0, 0, 0);
  return next;
}

/** The record as it was at `now`: resources dated after it are dropped; undated ones are kept. */
export function chartAsOf<T extends FhirResource>(resources: readonly T[], now: Date): T[] {
  return resources.filter((r) => {
    const d = resourceDate(r);
    return d === undefined || d.getTime() <= now.getTime();
  });
}
