import type { Terminology } from '../terminology/valuesets.js';
import { keysOf } from './codes.js';
import { codingsOf, type Json, str, textsOf } from './read.js';

/** Route value sets (valuesets/route-*.json): oral codes and words, words that are not oral, local dose forms. */
export const ROUTE_SETS = {
  oral: 'route-oral',
  notOral: 'route-not-oral',
  topical: 'route-topical',
  localCorticosteroid: 'route-local-corticosteroid',
} as const;

type Route = 'oral' | 'other';

function byWords(terminology: Terminology, words: string): Route | undefined {
  if (terminology.hasWords(ROUTE_SETS.oral, words)) return 'oral';
  return terminology.hasWords(ROUTE_SETS.notOral, words) ? 'other' : undefined;
}

/**
 * The route of a MedicationRequest, 'other' only when something says it is not by mouth: the dosage route (an
 * oral code, or words in its text and displays), else the product's route, else the words of the dosage text
 * and of the medication text ("IV", "suppository"). Oral words win over others; unknown when nothing says.
 */
export function routeOf(
  terminology: Terminology,
  dosage: readonly Record<string, Json>[],
  productRoute: string | undefined,
  texts: readonly string[],
): Route | undefined {
  for (const d of dosage) {
    const codings = codingsOf(d['route']);
    if (keysOf(codings).some((k) => terminology.has(ROUTE_SETS.oral, k))) return 'oral';
    const words = byWords(terminology, textsOf(d['route']).join(' '));
    if (words !== undefined) return words;
  }
  if (productRoute !== undefined) return productRoute === 'oral' ? 'oral' : 'other';
  for (const d of dosage) {
    const words = byWords(terminology, str(d['text']) ?? '');
    if (words !== undefined) return words;
  }
  return byWords(terminology, texts.join(' '));
}

/** Words of an uncoded medication that make it topical (not a systemic NSAID or corticosteroid). */
export function isTopical(terminology: Terminology, words: string): boolean {
  return terminology.hasWords(ROUTE_SETS.topical, words);
}

/** Words that make an uncoded corticosteroid local (inhaled, nasal, rectal, topical ...). */
export function isLocalCorticosteroid(terminology: Terminology, words: string): boolean {
  return isTopical(terminology, words) || terminology.hasWords(ROUTE_SETS.localCorticosteroid, words);
}
