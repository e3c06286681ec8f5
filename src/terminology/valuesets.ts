import { Ajv } from 'ajv';
import { basename } from 'node:path';
import { dataFiles, projectPath, readJsonFile } from '../data-files.js';
import { codingKey, normaliseSystem, SYSTEMS } from './coding.js';

/**
 * Value sets are data: one JSON file per set in valuesets/, each code with the source it was verified from.
 * This module loads them once and answers membership questions with set look-ups.
 */

export interface ValueSetCode {
  system: string;
  code: string;
  display: string;
  source: string;
  /** RxNorm term type (IN, SCD, SBD). */
  tty?: string;
  note?: string;
  /** Medication ingredient classes: lower-case names matched in uncoded medication text. */
  names?: string[];
  /** PROMs: which instrument the code measures, which way is better, and its scale. */
  instrument?: string;
  direction?: 'higher-is-better' | 'lower-is-better';
  scale?: '0-10' | '0-100';
  /**
   * For codes that name a procedure on any joint or on the pelvis (CPT 20610, 73721, 72195): the code counts as a
   * member only for the hip: when the resource's body site is in this value set (e.g. `hip-body-site`), or the
   * indexer found that the resource is for the hip otherwise (a reason naming a hip condition, text naming the
   * hip; docs/clinical-spec.md §2 advanced imaging).
   */
  bodySite?: string;
}

/** A public place codes were verified in, listed once per file; each code's `source` is one of these URLs. */
export interface ValueSetSource {
  url: string;
  title: string;
}

export interface ValueSet {
  id: string;
  title: string;
  purpose: string;
  /** The public places the codes were verified in (tests/terminology/provenance.test.ts checks them). */
  sources?: ValueSetSource[];
  codes: ValueSetCode[];
  /** Medication classes without a verifiable code: names matched in uncoded medication text. */
  fallbackNames?: string[];
}

export interface ProductIngredient {
  /** RxNorm ingredient code; null where it could not be verified (the name is still given). */
  code: string | null;
  name: string;
  strength?: { value: number; unit: string; per?: { value: number; unit: string } };
}

export interface Product {
  system: string;
  code: string;
  display: string;
  doseForm: 'tablet' | 'capsule' | 'solution' | 'suspension' | 'injection' | 'other';
  ingredients: ProductIngredient[];
  /**
   * The medication-* classes of the product, decided with its route: a topical NSAID or an inhaled
   * corticosteroid is in none. Authoritative over the classes of its ingredients. A medication-* value set that
   * lists the product's own code (tty SCD/SBD) adds its class at load time, so that membership is written once.
   */
  classes?: string[];
  route?: string;
  source: string;
}

export interface PromInstrument {
  instrument: string;
  direction: 'higher-is-better' | 'lower-is-better';
  scale: '0-10' | '0-100';
}

const codeSchema = {
  type: 'object',
  required: ['system', 'code', 'display', 'source'],
  additionalProperties: false,
  properties: {
    system: { type: 'string', pattern: '^(http|urn)' },
    code: { type: 'string', minLength: 1 },
    display: { type: 'string', minLength: 1 },
    source: { type: 'string', minLength: 3 },
    names: { type: 'array', items: { type: 'string', pattern: '^[a-z0-9][a-z0-9 \\-/.#]*$' } },
    tty: { type: 'string' },
    note: { type: 'string' },
    instrument: { type: 'string' },
    direction: { enum: ['higher-is-better', 'lower-is-better'] },
    scale: { enum: ['0-10', '0-100'] },
    bodySite: { type: 'string', pattern: '^[a-z0-9-]+$' },
  },
} as const;

const sourceSchema = {
  type: 'object',
  required: ['url', 'title'],
  properties: { url: { type: 'string', minLength: 3 }, title: { type: 'string', minLength: 1 } },
} as const;

const valueSetSchema = {
  type: 'object',
  required: ['id', 'title', 'purpose', 'codes'],
  properties: {
    id: { type: 'string', pattern: '^[a-z0-9-]+$' },
    title: { type: 'string' },
    purpose: { type: 'string' },
    sources: { type: 'array', items: sourceSchema },
    codes: { type: 'array', items: codeSchema },
    fallbackNames: { type: 'array', items: { type: 'string', pattern: '^[a-z0-9][a-z0-9 \\-/.#]*$' } },
  },
} as const;

const strength = {
  type: 'object',
  required: ['value', 'unit'],
  properties: {
    value: { type: 'number', exclusiveMinimum: 0 },
    unit: { type: 'string' },
    per: { type: 'object', required: ['value', 'unit'], properties: { value: { type: 'number' }, unit: { type: 'string' } } },
  },
} as const;

const productsSchema = {
  type: 'object',
  required: ['id', 'products'],
  properties: {
    id: { const: 'medication-products' },
    sources: { type: 'array', items: sourceSchema },
    products: {
      type: 'array',
      items: {
        type: 'object',
        required: ['system', 'code', 'display', 'doseForm', 'ingredients', 'source'],
        properties: {
          system: { type: 'string' },
          code: { type: 'string' },
          display: { type: 'string' },
          doseForm: { enum: ['tablet', 'capsule', 'solution', 'suspension', 'injection', 'other'] },
          ingredients: {
            type: 'array',
            minItems: 1,
            items: {
              type: 'object',
              required: ['code', 'name'],
              properties: { code: { type: ['string', 'null'] }, name: { type: 'string' }, strength },
            },
          },
          classes: { type: 'array', items: { type: 'string', pattern: '^medication-' } },
          route: { type: 'string' },
          source: { type: 'string', minLength: 3 },
        },
      },
    },
  },
} as const;

/** Value sets whose members are medication ingredients (RxNorm IN codes); their products belong to them too. */
export const MEDICATION_CLASS_PREFIX = 'medication-';

export class Terminology {
  readonly valueSets = new Map<string, ValueSet>();
  readonly products = new Map<string, Product>();
  private readonly index = new Map<string, string[]>();
  /** key -> value sets it belongs to only with a qualifying body site */
  private readonly qualified = new Map<string, { set: string; bodySite: string }[]>();
  private readonly prom = new Map<string, PromInstrument>();
  /** ingredient key -> medication class value sets */
  private readonly ingredientClasses = new Map<string, string[]>();
  /** lower-case name -> what it names, for uncoded text: an ingredient key, or only a class */
  private readonly ingredientNames = new Map<string, { key?: string; classes: string[] }>();
  private readonly namePattern: RegExp | undefined;

  constructor(valueSets: readonly ValueSet[], products: readonly Product[]) {
    for (const vs of valueSets) {
      if (this.valueSets.has(vs.id)) throw new Error(`value set ${vs.id} is defined twice`);
      this.valueSets.set(vs.id, vs);
      const isMedicationClass = vs.id.startsWith(MEDICATION_CLASS_PREFIX);
      for (const c of vs.codes) {
        const key = codingKey(c.system, c.code);
        if (key === undefined) throw new Error(`value set ${vs.id} has an empty code`);
        if (c.bodySite !== undefined) {
          const q = this.qualified.get(key) ?? [];
          q.push({ set: vs.id, bodySite: c.bodySite });
          this.qualified.set(key, q);
          continue;
        }
        const sets = this.index.get(key);
        if (sets === undefined) this.index.set(key, [vs.id]);
        else if (!sets.includes(vs.id)) sets.push(vs.id);
        if (c.instrument !== undefined && c.direction !== undefined && c.scale !== undefined) {
          this.prom.set(key, { instrument: c.instrument, direction: c.direction, scale: c.scale });
        }
        if (isMedicationClass) {
          const classes = this.ingredientClasses.get(key) ?? [];
          if (!classes.includes(vs.id)) classes.push(vs.id);
          this.ingredientClasses.set(key, classes);
          // Ingredient (IN) names name the ingredient; product displays are not names to look for in text.
          if (c.tty === undefined || c.tty === 'IN') {
            for (const name of [c.display.toLowerCase(), ...(c.names ?? [])]) this.addName(name, { key, classes: [vs.id] });
          }
        }
      }
      if (isMedicationClass) for (const name of vs.fallbackNames ?? []) this.addName(name, { classes: [vs.id] });
    }
    for (const p of products) {
      const key = codingKey(p.system, p.code);
      if (key === undefined) throw new Error(`product ${p.display} has no code`);
      const listed = this.ingredientClasses.get(key) ?? [];
      const classes = p.classes === undefined ? undefined : [...new Set([...p.classes, ...listed])];
      this.products.set(key, classes === undefined ? p : { ...p, classes });
    }
    const names = [...this.ingredientNames.keys()].sort((a, b) => b.length - a.length).map(escapeRegExp);
    this.namePattern = names.length > 0 ? new RegExp(`(?<![a-z])(${names.join('|')})(?![a-z])`, 'gi') : undefined;
  }

  private addName(name: string, named: { key?: string; classes: string[] }): void {
    const n = name.toLowerCase();
    const existing = this.ingredientNames.get(n);
    if (existing === undefined) this.ingredientNames.set(n, { ...named, classes: [...named.classes] });
    else for (const c of named.classes) if (!existing.classes.includes(c)) existing.classes.push(c);
  }

  /** The value sets one coding key belongs to. */
  setsOf(key: string): readonly string[] {
    return this.index.get(key) ?? EMPTY;
  }

  /**
   * The value sets a coded element belongs to: the union over its codings, with body-site-qualified codes
   * counted only when one of `bodySiteKeys` is in the named body-site set, or when `forTheHip` says the resource
   * is for the hip by its reason or text.
   */
  membership(keys: readonly string[], bodySiteKeys: readonly string[] = EMPTY, forTheHip = false): Set<string> {
    const out = new Set<string>();
    for (const key of keys) {
      const sets = this.index.get(key);
      if (sets !== undefined) for (const s of sets) out.add(s);
      const q = this.qualified.get(key);
      if (q !== undefined) {
        for (const { set, bodySite } of q) if (forTheHip || bodySiteKeys.some((k) => this.has(bodySite, k))) out.add(set);
      }
    }
    return out;
  }

  private readonly wordPatterns = new Map<string, RegExp | null>();

  /**
   * Whether text contains one of a value set's words (its fallbackNames) as a whole word, case-insensitive:
   * word lists such as valuesets/route-oral.json ("by mouth", "p.o.") are data like codes.
   */
  hasWords(valueSetId: string, text: string): boolean {
    let pattern = this.wordPatterns.get(valueSetId);
    if (pattern === undefined) {
      const words = [...(this.valueSet(valueSetId).fallbackNames ?? [])].sort((a, b) => b.length - a.length);
      pattern = words.length > 0 ? new RegExp(`(?<![\\w.])(${words.map(escapeRegExp).join('|')})(?![\\w])`, 'i') : null;
      this.wordPatterns.set(valueSetId, pattern);
    }
    return pattern?.test(text) === true;
  }

  has(valueSetId: string, key: string): boolean {
    return this.index.get(key)?.includes(valueSetId) ?? false;
  }

  valueSet(id: string): ValueSet {
    const vs = this.valueSets.get(id);
    if (vs === undefined) throw new Error(`unknown value set ${id}`);
    return vs;
  }

  promInstrument(key: string): PromInstrument | undefined {
    return this.prom.get(key);
  }

  /** Medication classes of an RxNorm ingredient key. */
  classesOfIngredient(key: string): readonly string[] {
    return this.ingredientClasses.get(key) ?? EMPTY;
  }

  /**
   * What free text names ("ibuprofen 600 mg tab", "Synvisc-One intra-articular"), for medications without a
   * usable code: ingredient keys, and classes named without an ingredient code.
   */
  medicationsInText(text: string): { keys: string[]; classes: string[] } {
    const keys = new Set<string>();
    const classes = new Set<string>();
    if (this.namePattern !== undefined) {
      for (const m of text.matchAll(this.namePattern)) {
        const named = this.ingredientNames.get((m[1] ?? '').toLowerCase());
        if (named === undefined) continue;
        if (named.key !== undefined) keys.add(named.key);
        for (const c of named.classes) classes.add(c);
      }
    }
    return { keys: [...keys], classes: [...classes] };
  }

  /** The display of an ingredient (lower case), from its medication class value set. */
  ingredientName(key: string): string | undefined {
    for (const set of this.classesOfIngredient(key)) {
      const code = this.valueSet(set).codes.find((c) => codingKey(c.system, c.code) === key);
      if (code !== undefined) return code.display.toLowerCase();
    }
    return undefined;
  }

  /** `system|code,system|code` for a prefetch template's code filter. */
  expandForSearch(ids: readonly string[]): string {
    const parts: string[] = [];
    for (const id of ids) for (const c of this.valueSet(id).codes) parts.push(`${normaliseSystem(c.system)}|${c.code}`);
    return [...new Set(parts)].join(',');
  }
}

const EMPTY: readonly string[] = Object.freeze([]);

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Reads and checks every file of valuesets/ (or another folder). Any problem stops start-up. */
export function loadTerminology(folder = projectPath('valuesets')): Terminology {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const checkValueSet = ajv.compile<ValueSet>(valueSetSchema);
  const checkProducts = ajv.compile<{ products: Product[] }>(productsSchema);
  const valueSets: ValueSet[] = [];
  let products: Product[] = [];
  for (const file of dataFiles(folder, ['.json'])) {
    const data = readJsonFile(file);
    const name = basename(file, '.json');
    if (name === 'medication-products') {
      if (!checkProducts(data)) throw new Error(`${file}: ${ajv.errorsText(checkProducts.errors)}`);
      products = data.products;
      continue;
    }
    if (!checkValueSet(data)) throw new Error(`${file}: ${ajv.errorsText(checkValueSet.errors)}`);
    const vs = data;
    if (vs.id !== name) throw new Error(`${file}: id "${vs.id}" must match the file name`);
    valueSets.push(vs);
  }
  return new Terminology(valueSets, products);
}

export const RXNORM = SYSTEMS.rxnorm;
