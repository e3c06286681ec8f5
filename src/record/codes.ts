import { codingKey } from '../terminology/coding.js';
import { codingsOf, type Json, objects, str } from './read.js';

/** `system|code` keys of codings, normalised and without duplicates. */
export function keysOf(codings: readonly { system?: string; code?: string }[]): string[] {
  const out: string[] = [];
  for (const c of codings) {
    const key = codingKey(c.system, c.code);
    if (key !== undefined && !out.includes(key)) out.push(key);
  }
  return out;
}

/** A readable name of a CodeableConcept: its text, else the first display, else the fallback. */
export function displayOf(concept: Json, fallback: string): string {
  for (const cc of objects(concept)) {
    const text = str(cc['text']);
    if (text !== undefined) return text;
  }
  return codingsOf(concept).find((c) => c.display !== undefined)?.display ?? fallback;
}
