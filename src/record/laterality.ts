import type { Terminology } from '../terminology/valuesets.js';
import type { Laterality } from './types.js';

/** The laterality value sets (valuesets/laterality-*.json): SNOMED CT qualifiers and body sites, side-specific ICD-10-CM codes. */
export const LATERALITY_SETS = {
  left: 'laterality-left',
  right: 'laterality-right',
  both: 'laterality-bilateral',
} as const;

/**
 * The side a condition (or order) names: its codes and body-site codes in the laterality value sets, else the
 * words of its body site ("left hip"); both when both sides are named; 'unknown' when nothing says.
 */
export function lateralityOf(terminology: Terminology, keys: readonly string[], siteTexts: readonly string[]): Laterality {
  const sets = terminology.membership(keys);
  const fromCodes = combine(sets.has(LATERALITY_SETS.left), sets.has(LATERALITY_SETS.right), sets.has(LATERALITY_SETS.both));
  if (fromCodes !== 'unknown') return fromCodes;
  const text = siteTexts.join(' ');
  return combine(
    terminology.hasWords(LATERALITY_SETS.left, text),
    terminology.hasWords(LATERALITY_SETS.right, text),
    terminology.hasWords(LATERALITY_SETS.both, text),
  );
}

function combine(left: boolean, right: boolean, both: boolean): Laterality {
  if (both || (left && right)) return 'both';
  if (left) return 'left';
  if (right) return 'right';
  return 'unknown';
}
