import type { FhirResource } from 'fhir/r4.js';
import type { GatheredEntry } from '../record/index-record.js';
import { isObject, type Json, objects, str } from '../record/read.js';

/**
 * The one reader of FHIR Bundles, wherever a Bundle enters: a prefetch value, a search answer of the FHIR server,
 * `context.draftOrders`, a patient file of the evaluate tool. Input is untrusted JSON: entries without a resource,
 * or whose resource has no `resourceType`, are skipped; `fullUrl` is kept (references may use it).
 */
export interface BundleContents {
  /** The resources, OperationOutcome entries (search.mode "outcome") left out. */
  entries: GatheredEntry[];
  /** An OperationOutcome entry with an error or fatal issue: the search did not complete. */
  errorOutcome: boolean;
  /** `Bundle.link` next, as written (relative or absolute). */
  next?: string;
}

export function isErrorOutcome(r: Record<string, Json>): boolean {
  return objects(r['issue']).some((i) => i['severity'] === 'error' || i['severity'] === 'fatal');
}

/** A resource as FHIR data (an object with a string resourceType), else undefined. */
export function asResource(x: Json): FhirResource | undefined {
  return isObject(x) && typeof x['resourceType'] === 'string' ? (x as unknown as FhirResource) : undefined;
}

/** The entries, error outcome and next link of a Bundle (any object: its `entry` and `link` are read tolerantly). */
export function readBundle(bundle: Json): BundleContents {
  const entries: GatheredEntry[] = [];
  let errorOutcome = false;
  if (!isObject(bundle)) return { entries, errorOutcome };
  for (const entry of objects(bundle['entry'])) {
    const resource = asResource(entry['resource']);
    if (resource === undefined) continue;
    if (resource.resourceType === 'OperationOutcome') {
      // search.mode "outcome": warnings are fine; an error means the search did not complete.
      if (isErrorOutcome(resource as unknown as Record<string, Json>)) errorOutcome = true;
      continue;
    }
    const fullUrl = str(entry['fullUrl']);
    entries.push({ resource, ...(fullUrl !== undefined ? { fullUrl } : {}) });
  }
  const next = str(objects(bundle['link']).find((l) => l['relation'] === 'next')?.['url']);
  return { entries, errorOutcome, ...(next !== undefined ? { next } : {}) };
}

/** How many entries a Bundle has, before reading them (the entry cap is checked on this). */
export function entryCount(bundle: Json): number {
  return isObject(bundle) && Array.isArray(bundle['entry']) ? bundle['entry'].length : 0;
}
