import type { FhirResource } from 'fhir/r4.js';
import type { GatheredEntry } from '../src/record/index-record.js';
import { firstDate, isObject, type Json, periodStart } from '../src/record/read.js';

/**
 * "As of": evaluate a record as if the chart were opened at another time (npm run evaluate -- <file> --as-of
 * last-encounter | YYYY-MM-DD). `last-encounter` is the day after the record's latest encounter, so a Synthea
 * record's trajectory can be reviewed as if live. Resources dated after that moment are left out (the chart did
 * not have them yet); statuses stay as recorded.
 */

const DAY = 24 * 60 * 60 * 1000;

/** The date a resource is about, when it has one the pathway reads (docs/clinical-spec.md §1 dates). */
export function resourceDate(resource: FhirResource): Date | undefined {
  const r = resource as unknown as Record<string, Json>;
  switch (resource.resourceType) {
    case 'Encounter':
      return firstDate(isObject(r['period']) ? r['period']['end'] : undefined, periodStart(r['period']));
    case 'Condition':
      return firstDate(r['onsetDateTime'], periodStart(r['onsetPeriod']), r['recordedDate']);
    case 'Observation':
    case 'DiagnosticReport':
      return firstDate(r['effectiveDateTime'], periodStart(r['effectivePeriod']), r['issued']);
    case 'MedicationRequest':
    case 'ServiceRequest':
      return firstDate(r['authoredOn']);
    case 'Procedure':
      return firstDate(r['performedDateTime'], periodStart(r['performedPeriod']));
    case 'ImagingStudy':
      return firstDate(r['started']);
    default:
      return undefined;
  }
}

/** The day after the latest Encounter of the record (its end, else its start), or undefined without one. */
export function dayAfterLastEncounter(entries: readonly GatheredEntry[]): Date | undefined {
  let latest: number | undefined;
  for (const { resource } of entries) {
    if (resource.resourceType !== 'Encounter') continue;
    const t = resourceDate(resource)?.getTime();
    if (t !== undefined && (latest === undefined || t > latest)) latest = t;
  }
  if (latest === undefined) return undefined;
  const d = new Date(latest + DAY);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), 12));
}

/** "last-encounter" or a date (YYYY-MM-DD or an ISO dateTime) to the moment the chart is opened. */
export function asOf(arg: string, entries: readonly GatheredEntry[]): Date {
  if (arg === 'last-encounter') {
    const d = dayAfterLastEncounter(entries);
    if (d === undefined) throw new Error('the record has no Encounter to take "last-encounter" from');
    return d;
  }
  const d = firstDate(/^\d{4}-\d{2}-\d{2}$/.test(arg) ? `${arg}T12:00:00Z` : arg);
  if (d === undefined) throw new Error(`--as-of wants "last-encounter" or a date, not "${arg}"`);
  return d;
}

/** The entries the chart had at `now`: those dated after it are left out. */
export function chartAt(entries: readonly GatheredEntry[], now: Date): GatheredEntry[] {
  return entries.filter((e) => {
    const d = resourceDate(e.resource);
    return d === undefined || d.getTime() <= now.getTime();
  });
}
