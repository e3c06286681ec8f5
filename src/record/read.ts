/**
 * Tolerant readers for FHIR data as clients really send it. Input is untrusted JSON: a field may be missing, a
 * single object where R4 has an array (the CDS Hooks sandbox sends `reasonCode` and `category` that way), or of
 * the wrong type. Every reader returns a well-typed value and never throws.
 */

export type Json = unknown;

export function isObject(x: Json): x is Record<string, Json> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** An array from an array, a single value, or nothing. */
export function asArray(x: Json): Json[] {
  if (x === undefined || x === null) return [];
  return Array.isArray(x) ? x : [x];
}

export function objects(x: Json): Record<string, Json>[] {
  return asArray(x).filter(isObject);
}

export function str(x: Json): string | undefined {
  return typeof x === 'string' && x !== '' ? x : undefined;
}

export function num(x: Json): number | undefined {
  return typeof x === 'number' && Number.isFinite(x) ? x : undefined;
}

export interface PlainCoding {
  system?: string;
  code?: string;
  display?: string;
}

/** Codings of a CodeableConcept, an array of them, or a bare Coding. */
export function codingsOf(x: Json): PlainCoding[] {
  const out: PlainCoding[] = [];
  for (const cc of objects(x)) {
    let list: Record<string, Json>[] = [];
    if (cc['coding'] !== undefined) list = objects(cc['coding']);
    else if ('code' in cc || 'system' in cc) list = [cc];
    for (const c of list) {
      const coding: PlainCoding = {};
      const system = str(c['system']);
      const code = str(c['code']);
      const display = str(c['display']);
      if (system !== undefined) coding.system = system;
      if (code !== undefined) coding.code = code;
      if (display !== undefined) coding.display = display;
      out.push(coding);
    }
  }
  return out;
}

/** Every human-readable text of a CodeableConcept (or several): `text` and codings' `display`. */
export function textsOf(x: Json): string[] {
  const out: string[] = [];
  for (const cc of objects(x)) {
    const text = str(cc['text']);
    if (text !== undefined) out.push(text);
    for (const c of codingsOf(cc)) if (c.display !== undefined) out.push(c.display);
  }
  return out;
}

/** The `code` of the first coding of a status-like CodeableConcept (`clinicalStatus`), or a plain string. */
export function conceptCode(x: Json): string | undefined {
  if (typeof x === 'string') return x;
  return codingsOf(x).find((c) => c.code !== undefined)?.code;
}

const PARTIAL_DATE = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/;

/**
 * A FHIR date, dateTime or instant as a Date. Partial dates (2024, 2024-03) are taken at their first day, as
 * the earliest moment they can mean. Anything unparseable is undefined, never an exception.
 */
export function parseDate(x: Json): Date | undefined {
  if (typeof x !== 'string' || x.length < 4) return undefined;
  const partial = PARTIAL_DATE.exec(x);
  if (partial) {
    const year = Number(partial[1]);
    const month = partial[2] !== undefined ? Number(partial[2]) - 1 : 0;
    const day = partial[3] !== undefined ? Number(partial[3]) : 1;
    const d = new Date(Date.UTC(year, month, day));
    return Number.isNaN(d.getTime()) || month > 11 || day > 31 ? undefined : d;
  }
  const t = Date.parse(x);
  return Number.isNaN(t) ? undefined : new Date(t);
}

/** The first parseable date among the candidates. */
export function firstDate(...candidates: Json[]): Date | undefined {
  for (const c of candidates) {
    const d = parseDate(c);
    if (d !== undefined) return d;
  }
  return undefined;
}

export function periodStart(x: Json): Json {
  return isObject(x) ? x['start'] : undefined;
}
