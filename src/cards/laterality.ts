import type { CodeableConcept, Coding } from 'fhir/r4.js';
import type { Laterality } from '../record/types.js';
import { projectPath, readJsonFile } from '../data-files.js';
import { codingKey } from '../terminology/coding.js';

/**
 * The side of the hip for the laterality of suggested imaging, injection and referral orders (docs/clinical-spec.md
 * §3). A condition names a side by a side-specific code (ICD-10-CM M16.12 left, M25.551 right, M16.0 both ...) or
 * by its bodySite (SNOMED CT left/right hip region, or a laterality qualifier): the indexer reads it once
 * (ConditionEntry.laterality, src/record/laterality.ts). A draft order being replaced names its side by its
 * bodySite. The codes are data: valuesets/laterality-left.json, laterality-right.json, laterality-bilateral.json.
 *
 * One side named by the conditions: that side. Both sides, or none: the order asks the clinician to confirm it.
 */

export type HipSide = 'left' | 'right' | 'both' | 'unknown';

export interface SideCodes {
  left: ReadonlySet<string>;
  right: ReadonlySet<string>;
  both: ReadonlySet<string>;
}

function keysOf(file: string): Set<string> {
  const vs = readJsonFile(file) as { codes?: { system: string; code: string }[] };
  const keys = new Set<string>();
  for (const c of vs.codes ?? []) {
    const key = codingKey(c.system, c.code);
    if (key !== undefined) keys.add(key);
  }
  return keys;
}

const loaded = new Map<string, SideCodes>();
/** The side value sets of a valuesets/ folder, read once. */
export function loadSideCodes(folder = projectPath('valuesets')): SideCodes {
  let codes = loaded.get(folder);
  if (codes === undefined) {
    codes = {
      left: keysOf(`${folder}/laterality-left.json`),
      right: keysOf(`${folder}/laterality-right.json`),
      both: keysOf(`${folder}/laterality-bilateral.json`),
    };
    loaded.set(folder, codes);
  }
  return codes;
}

function codings(concept: CodeableConcept | CodeableConcept[] | undefined): Coding[] {
  if (concept === undefined) return [];
  const list = Array.isArray(concept) ? concept : [concept];
  return list.flatMap((c) => (Array.isArray(c.coding) ? c.coding : []));
}

function sidesOf(list: readonly Coding[], codes: SideCodes): Set<'left' | 'right'> {
  const sides = new Set<'left' | 'right'>();
  for (const c of list) {
    const key = codingKey(c.system, c.code);
    if (key === undefined) continue;
    if (codes.left.has(key)) sides.add('left');
    if (codes.right.has(key)) sides.add('right');
    if (codes.both.has(key)) {
      sides.add('left');
      sides.add('right');
    }
  }
  return sides;
}

/**
 * The side draft orders name by their bodySite (a SNOMED CT hip region or laterality qualifier): a one-sided order
 * that replaces a draft (radiographs for an MRI, a corticosteroid for a hyaluronic acid injection) keeps its side.
 */
export function orderSide(orders: readonly { resource: object }[], codes: SideCodes): HipSide {
  const sides = new Set<'left' | 'right'>();
  for (const o of orders) {
    const site = (o.resource as { bodySite?: CodeableConcept[] }).bodySite;
    for (const s of sidesOf(codings(Array.isArray(site) ? site : undefined), codes)) sides.add(s);
  }
  return toSide(sides);
}

function toSide(sides: ReadonlySet<'left' | 'right'>): HipSide {
  if (sides.size === 2) return 'both';
  if (sides.has('left')) return 'left';
  if (sides.has('right')) return 'right';
  return 'unknown';
}

/** The side the patient's hip conditions name together (each as the indexer read it). */
export function hipSide(lateralities: readonly Laterality[]): HipSide {
  const sides = new Set<'left' | 'right'>();
  for (const l of lateralities) {
    if (l === 'left' || l === 'both') sides.add('left');
    if (l === 'right' || l === 'both') sides.add('right');
  }
  return toSide(sides);
}
