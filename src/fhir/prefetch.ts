import type { GatheredEntry } from '../record/index-record.js';
import { asResource, entryCount, readBundle } from './bundle.js';

/**
 * What one prefetch value gives, in every shape CDS Hooks 2.0.1 and real clients allow:
 *  - key absent, or an OperationOutcome (or a Bundle carrying an error outcome): missing — fetched, else unknown;
 *  - null: the client says it has no data. The service still asks the FHIR server when it can (a client may send
 *    null for data it could not get); when it cannot, null is taken at its word, as an empty result;
 *  - a single resource (a read, or a client that unwraps a one-entry search);
 *  - a searchset Bundle, with or without `type`, possibly with a `next` page still to fetch.
 */
export type PrefetchState =
  | { state: 'missing'; why: 'absent' | 'operation-outcome' | 'not-a-resource' }
  | { state: 'null' }
  | { state: 'present'; entries: GatheredEntry[]; next?: string; count: number };

export function readPrefetchValue(value: unknown, present: boolean): PrefetchState {
  if (!present) return { state: 'missing', why: 'absent' };
  if (value === null) return { state: 'null' };
  const resource = asResource(value);
  if (resource === undefined) return { state: 'missing', why: 'not-a-resource' };
  if (resource.resourceType === 'OperationOutcome') return { state: 'missing', why: 'operation-outcome' };
  if (resource.resourceType !== 'Bundle') return { state: 'present', entries: [{ resource }], count: 1 };
  const { entries, errorOutcome, next } = readBundle(value);
  if (errorOutcome) return { state: 'missing', why: 'operation-outcome' };
  return { state: 'present', entries, count: entryCount(value), ...(next !== undefined ? { next } : {}) };
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
