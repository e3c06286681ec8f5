import { isObject, type Json, objects, str } from './read.js';
import { REFERENCE_TAIL } from '../cds/ids.js';

type R = Record<string, Json>;

/** Finds resources by the ways references are written: `#id`, `Type/id`, fullUrl, or an absolute URL. */
export class ReferenceResolver {
  private readonly byKey = new Map<string, R>();

  add(resource: R, fullUrl: string | undefined): void {
    const type = str(resource['resourceType']);
    const id = str(resource['id']);
    if (type !== undefined && id !== undefined) this.byKey.set(`${type}/${id}`, resource);
    if (fullUrl !== undefined) this.byKey.set(fullUrl, resource);
  }

  resolve(reference: Json, container?: R): R | undefined {
    const ref = isObject(reference) ? str(reference['reference']) : undefined;
    if (ref === undefined) return undefined;
    if (ref.startsWith('#')) {
      return objects(container?.['contained']).find((c) => c['id'] === ref.slice(1));
    }
    const direct = this.byKey.get(ref);
    if (direct !== undefined) return direct;
    // https://ehr.example/fhir/Medication/123 -> Medication/123 (history suffixes removed)
    const m = REFERENCE_TAIL.exec(ref);
    return m ? this.byKey.get(`${m[1]}/${m[2]}`) : undefined;
  }
}

let anonymous = 0;
/**
 * `Type/id`, else the fullUrl, else a name unique to this entry: two resources without an id are never taken
 * for the same one.
 */
export function refOf(r: R, fullUrl: string | undefined): string {
  const type = str(r['resourceType']) ?? 'Resource';
  const id = str(r['id']);
  if (id !== undefined) return `${type}/${id}`;
  return fullUrl ?? `${type}/(no id ${(anonymous = (anonymous + 1) % Number.MAX_SAFE_INTEGER)})`;
}

/** A reference as a comparable key: `Type/id` when it ends so (absolute URLs and history suffixes removed), else as written. */
export function referenceKey(reference: Json): string | undefined {
  const ref = isObject(reference) ? str(reference['reference']) : undefined;
  if (ref === undefined) return undefined;
  const m = /([A-Za-z]+\/[A-Za-z0-9\-.]{1,256})(?:\/_history\/[^/]+)?$/.exec(ref);
  return m?.[1] ?? ref;
}
