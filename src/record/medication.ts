import type { MedicationRequest } from 'fhir/r4.js';
import { SYSTEMS } from '../terminology/coding.js';
import type { Terminology } from '../terminology/valuesets.js';
import { keysOf } from './codes.js';
import { indexDosages } from './dosage.js';
import { codingsOf, isObject, type Json, num, objects, parseDate, str, textsOf } from './read.js';
import { referenceKey, type ReferenceResolver } from './references.js';
import { isLocalCorticosteroid, isTopical, routeOf } from './route.js';
import type { Ingredient, MedicationEntry, Reasons } from './types.js';

type R = Record<string, Json>;

const MEDICATION_CURRENT = new Set(['active', 'on-hold']);
const VS_SYSTEMIC_CORTICOSTEROID = 'medication-systemic-corticosteroid';
const VS_NSAID = 'medication-nsaid';

/** What a MedicationRequest names: its codes and texts, with those of the Medication it references. */
interface Named {
  keys: string[];
  texts: string[];
  medication?: R;
}

/** What the codes or words resolve to. */
interface Match {
  ingredients: Ingredient[];
  classes: Set<string>;
  matchedBy: MedicationEntry['matchedBy'];
  doseForm?: string;
  productRoute?: string;
}

function named(r: R, resolver: ReferenceResolver): Named {
  const concept = r['medicationCodeableConcept'];
  const reference = r['medicationReference'];
  const medication = reference !== undefined ? resolver.resolve(reference, r) : undefined;
  const texts = [...textsOf(concept)];
  const keys = keysOf(codingsOf(concept));
  if (medication !== undefined) {
    keys.push(...keysOf(codingsOf(medication['code'])).filter((k) => !keys.includes(k)));
    texts.push(...textsOf(medication['code']));
  }
  const display = isObject(reference) ? str(reference['display']) : undefined;
  if (display !== undefined) texts.push(display);
  return medication !== undefined ? { keys, texts, medication } : { keys, texts };
}

function ingredient(
  terminology: Terminology,
  code: string | null,
  name: string | undefined,
  strength: Ingredient['strength'],
): Ingredient {
  const withStrength = strength !== undefined ? { strength: { ...strength } } : {};
  if (code === null) {
    const n = (name ?? 'unknown').toLowerCase();
    return { key: `name|${n}`, name: n, classes: terminology.medicationsInText(n).classes, ...withStrength };
  }
  const key = `${SYSTEMS.rxnorm}|${code}`;
  return {
    key,
    name: terminology.ingredientName(key) ?? (name ?? code).toLowerCase(),
    classes: terminology.classesOfIngredient(key),
    ...withStrength,
  };
}

const codeOf = (key: string): string | null => key.split('|')[1] ?? null;

/** A product code (SCD/SBD of medication-products.json): its ingredients, strengths, and route-aware classes. */
function byProduct(terminology: Terminology, keys: readonly string[]): Match | undefined {
  for (const key of keys) {
    const product = terminology.products.get(key);
    if (product === undefined) continue;
    const ingredients = product.ingredients.map((i) => ingredient(terminology, i.code, i.name, i.strength));
    const match: Match = {
      ingredients,
      classes: new Set(product.classes ?? ingredients.flatMap((i) => i.classes)),
      matchedBy: 'product',
      doseForm: product.doseForm,
    };
    if (product.route !== undefined) match.productRoute = product.route;
    return match;
  }
  return undefined;
}

/** RxNorm ingredient codes of a medication class value set. */
function byIngredient(terminology: Terminology, keys: readonly string[]): Ingredient[] {
  return keys
    .filter((k) => terminology.classesOfIngredient(k).length > 0)
    .map((k) => ingredient(terminology, codeOf(k), undefined, undefined));
}

/** The ingredients of a Medication resource (itemCodeableConcept and strength). */
function fromMedication(terminology: Terminology, medication: R | undefined): Ingredient[] {
  const out: Ingredient[] = [];
  for (const ing of objects(medication?.['ingredient'])) {
    const key = keysOf(codingsOf(ing['itemCodeableConcept'])).find((k) => terminology.classesOfIngredient(k).length > 0);
    if (key !== undefined) out.push(ingredient(terminology, codeOf(key), undefined, ratioStrength(ing['strength'])));
  }
  return out;
}

/** Names in the uncoded text or displays ("ibuprofen 600 mg tab", "Synvisc-One"). */
function byText(terminology: Terminology, texts: readonly string[]): Match {
  const found = terminology.medicationsInText(texts.join(' | '));
  const ingredients = found.keys.map((k) => ingredient(terminology, codeOf(k), undefined, undefined));
  const classes = new Set([...found.classes, ...ingredients.flatMap((i) => i.classes)]);
  return { ingredients, classes, matchedBy: ingredients.length > 0 || classes.size > 0 ? 'text' : 'none' };
}

/**
 * Recognises a medication in this order (docs/clinical-spec.md §1): a product code mapped to its ingredients
 * (route-aware classes: a topical NSAID is not an NSAID); an ingredient code; the ingredients of the referenced
 * Medication resource; and, for medications only, names in the uncoded text or displays.
 */
function match(terminology: Terminology, n: Named): Match {
  const fromResource = fromMedication(terminology, n.medication);
  const product = byProduct(terminology, n.keys);
  const coded =
    product ??
    ingredientMatch(byIngredient(terminology, n.keys), 'ingredient') ??
    ingredientMatch(fromResource, 'medication-resource');
  if (coded === undefined) return withoutLocalForms(terminology, byText(terminology, n.texts), n.texts);
  // The Medication resource may still tell the strength the code did not.
  for (const ing of coded.ingredients) ing.strength ??= fromResource.find((f) => f.key === ing.key)?.strength;
  return coded.matchedBy === 'product' ? coded : withoutLocalForms(terminology, coded, n.texts);
}

function ingredientMatch(ingredients: Ingredient[], matchedBy: 'ingredient' | 'medication-resource'): Match | undefined {
  if (ingredients.length === 0) return undefined;
  return { ingredients, classes: new Set(ingredients.flatMap((i) => i.classes)), matchedBy };
}

/**
 * Without a product code the route comes from the words: a hydrocortisone cream is not a systemic corticosteroid
 * and a diclofenac gel is not a hip NSAID (the products file decides this by route).
 */
function withoutLocalForms(terminology: Terminology, m: Match, texts: readonly string[]): Match {
  const words = texts.join(' ');
  if (isLocalCorticosteroid(terminology, words)) m.classes.delete(VS_SYSTEMIC_CORTICOSTEROID);
  if (isTopical(terminology, words)) m.classes.delete(VS_NSAID);
  return m;
}

/** A MedicationRequest as the pathway reads it: what it is, whether it is current, its route and dosage. */
export function indexMedication(
  terminology: Terminology,
  r: R,
  ref: string,
  draft: boolean,
  now: Date,
  resolver: ReferenceResolver,
  reasons: Reasons,
): MedicationEntry {
  const n = named(r, resolver);
  const m = match(terminology, n);
  const doseForm = m.doseForm ?? (n.medication !== undefined ? formFromMedication(n.medication) : undefined);
  const status = str(r['status']) ?? 'unknown';
  const authoredOn = parseDate(r['authoredOn']) ?? (draft ? now : undefined);
  const dosages = indexDosages(r['dosageInstruction']);
  const entry: MedicationEntry = {
    resourceType: 'MedicationRequest',
    ref,
    keys: n.keys,
    sets: terminology.membership(n.keys),
    display: n.texts[0] ?? (m.ingredients.map((i) => i.name).join(' / ') || 'medication'),
    resource: r as unknown as MedicationRequest,
    status,
    current: !draft && MEDICATION_CURRENT.has(status),
    draft,
    ingredients: m.ingredients,
    classes: m.classes,
    matchedBy: m.matchedBy,
    dosages,
    asNeeded: dosages.some((d) => d.asNeeded),
    reasons,
  };
  if (authoredOn !== undefined) entry.authoredOn = authoredOn;
  if (doseForm !== undefined) entry.doseForm = doseForm;
  const route = routeOf(terminology, objects(r['dosageInstruction']), m.productRoute, n.texts);
  if (route !== undefined) entry.route = route;
  const encounter = referenceKey(r['encounter']);
  if (encounter !== undefined) entry.encounter = encounter;
  return entry;
}

function ratioStrength(x: Json): Ingredient['strength'] | undefined {
  if (!isObject(x)) return undefined;
  const n = x['numerator'];
  const d = x['denominator'];
  if (!isObject(n)) return undefined;
  const value = num(n['value']);
  const unit = str(n['code']) ?? str(n['unit']);
  if (value === undefined || unit === undefined || value <= 0) return undefined;
  const strength: NonNullable<Ingredient['strength']> = { value, unit: unit.toLowerCase() };
  if (isObject(d)) {
    const dv = num(d['value']);
    const du = str(d['code']) ?? str(d['unit']);
    if (dv !== undefined && du !== undefined && dv > 0) strength.per = { value: dv, unit: du };
  }
  return strength;
}

function formFromMedication(medication: R): string | undefined {
  const texts = [...textsOf(medication['form']), ...textsOf(medication['code'])].join(' ').toLowerCase();
  if (/tablet|\btab\b|caplet/.test(texts)) return 'tablet';
  if (/capsule|\bcap\b/.test(texts)) return 'capsule';
  if (/solution|elixir|syrup/.test(texts)) return 'solution';
  if (texts.includes('suspension')) return 'suspension';
  return undefined;
}
