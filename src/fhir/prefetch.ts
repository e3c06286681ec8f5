import type { FhirResource } from 'fhir/r4.js';
import type { GatheredEntry } from '../record/index-record.js';
import { isObject, type Json, objects, str } from '../record/read.js';

/**
 * What one prefetch value gives, in every shape CDS Hooks 2.0.1 and real clients allow:
 *  - key absent, or an OperationOutcome (or a Bundle carrying an error outcome): missing — fetch it or answer 412;
 *  - null: the client says it has no data. The service still asks the FHIR server when it can (a client may send
 *    null for data it could not get); when it cannot, null is taken at its word, as an empty result;
 *  - a single resource (a read, or a client that unwraps a one-entry search);
 *  - a searchset Bundle, with or without `type`, possibly with a `next` page still to fetch.
 */
export type PrefetchState =
  | { state: 'missing'; why: 'absent' | 'operation-outcome' | 'not-a-resource' }
  | { state: 'null' }
  | { state: 'present'; entries: GatheredEntry[]; next?: string };

function isErrorOutcome(r: Record<string, Json>): boolean {
  return objects(r['issue']).some((i) => i['severity'] === 'error' || i['severity'] === 'fatal');
}

export function readPrefetchValue(value: unknown, present: boolean): PrefetchState {
  if (!present) return { state: 'missing', why: 'absent' };
  if (value === null) return { state: 'null' };
  if (!isObject(value) || typeof value['resourceType'] !== 'string') return { state: 'missing', why: 'not-a-resource' };
  if (value['resourceType'] === 'OperationOutcome') return { state: 'missing', why: 'operation-outcome' };
  if (value['resourceType'] !== 'Bundle') return { state: 'present', entries: [{ resource: value as unknown as FhirResource }] };
  const entries: GatheredEntry[] = [];
  for (const entry of objects(value['entry'])) {
    const resource = entry['resource'];
    if (!isObject(resource) || typeof resource['resourceType'] !== 'string') continue;
    if (resource['resourceType'] === 'OperationOutcome') {
      // search.mode "outcome": warnings are fine; an error means the search did not complete.
      if (isErrorOutcome(resource)) return { state: 'missing', why: 'operation-outcome' };
      continue;
    }
    const fullUrl = str(entry['fullUrl']);
    entries.push({ resource: resource as unknown as FhirResource, ...(fullUrl !== undefined ? { fullUrl } : {}) });
  }
  const next = objects(value['link']).find((l) => l['relation'] === 'next');
  const nextUrl = next !== undefined ? str(next['url']) : undefined;
  return { state: 'present', entries, ...(nextUrl !== undefined ? { next: nextUrl } : {}) };
}

/** Fills the context tokens of a prefetch template (values are URL-encoded). */
export function fillTemplate(template: string, context: Readonly<Record<string, unknown>>): string {
  return template.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (_m, token: string) => {
    let value: unknown;
    if (token.startsWith('context.')) value = context[token.slice('context.'.length)];
    else if (/^user(Practitioner|PractitionerRole|Patient|RelatedPerson)Id$/.test(token)) {
      const userId = context['userId'];
      const type = token.slice(4, -2);
      if (typeof userId === 'string' && userId.startsWith(`${type}/`)) value = userId.slice(type.length + 1);
    }
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new Error(`prefetch token ${token} has no value in this call`);
    }
    return encodeURIComponent(String(value));
  });
}
