import type { Condition, FhirResource, MedicationRequest } from 'fhir/r4.js';
import { REFERENCE_TAIL } from '../cds/ids.js';
import { codingKey, SYSTEMS } from '../terminology/coding.js';
import type { Terminology } from '../terminology/valuesets.js';
import {
  codingsOf,
  conceptCode,
  firstDate,
  isObject,
  type Json,
  num,
  objects,
  parseDate,
  periodStart,
  str,
  textsOf,
} from './read.js';
import type {
  ConditionEntry,
  EventEntry,
  EventResource,
  Ingredient,
  MedicationEntry,
  ObservationEntry,
  OrderEntry,
  PatientInfo,
  PatientRecord,
  Reasons,
} from './types.js';

/** A resource as gathered, with the fullUrl it had in its Bundle (references may use it). */
export interface GatheredEntry {
  resource: FhirResource;
  fullUrl?: string;
}

export interface RecordInput {
  now: Date;
  context: { patientId: string; encounterId?: string; userId?: string };
  entries: readonly GatheredEntry[];
  /** context.draftOrders entries (order hooks). */
  draftOrders?: readonly GatheredEntry[];
  /** `Type/id` of the drafts to judge; undefined = judge every draft (order-sign). */
  selections?: readonly string[];
}

const CONDITION_ACTIVE = new Set(['active', 'recurrence', 'relapse']);
const CONDITION_INVALID = new Set(['refuted', 'entered-in-error']);
const OBSERVATION_VALID = new Set(['final', 'amended', 'corrected', 'preliminary']);
const MEDICATION_CURRENT = new Set(['active', 'on-hold']);

type R = Record<string, Json>;

const VS_SYSTEMIC_CORTICOSTEROID = 'medication-systemic-corticosteroid';
const VS_NSAID = 'medication-nsaid';
/** Dose forms and routes that are not systemic, as medication names and texts write them. */
const NOT_SYSTEMIC_STEROID =
  /\b(topical|cream|ointment|lotion|gel|foam|shampoo|patch|transdermal|inhal\w*|nasal|ophthalmic|otic|eye|ear|vaginal|rectal|enema|suppositor\w*|actuat\w*|metered)\b/i;
/**
 * Oral route codes: SNOMED CT 26643006 Oral route, HL7 v3 RouteOfAdministration PO (swallow, oral), NCI
 * Thesaurus C38288 Oral route (FDA route of administration), EDQM 20053000 Oral use.
 */
const ORAL_ROUTES = new Set([
  'http://snomed.info/sct|26643006',
  'http://terminology.hl7.org/CodeSystem/v3-RouteOfAdministration|PO',
  'http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl|C38288',
  'http://standardterms.edqm.eu|20053000',
]);
const ORAL_WORDS = /(?<![\w.])(oral\w*|by mouth|per os|p\.?o\.?)(?![\w])/i;
const NOT_ORAL_WORDS =
  /(?<![\w.])(i\.v\.|iv|intravenous\w*|infusion|inject\w*|rectal\w*|per rectum|suppositor\w*|enema|intramuscular\w*|subcutaneous\w*|topical\w*|transdermal|patch)(?![\w])/i;

/**
 * The route of a MedicationRequest, 'other' only when something says it is not by mouth: the dosage route
 * (an oral code, or words in its text and displays), else the product's route, else the words of the
 * medication text ("IV", "suppository"). Oral words win over others; unknown when nothing says.
 */
function routeOf(dosage: readonly R[], productRoute: string | undefined, texts: readonly string[]): 'oral' | 'other' | undefined {
  const byWords = (words: string): 'oral' | 'other' | undefined =>
    ORAL_WORDS.test(words) ? 'oral' : NOT_ORAL_WORDS.test(words) ? 'other' : undefined;
  for (const d of dosage) {
    const codings = codingsOf(d['route']);
    if (keysOf(codings).some((k) => ORAL_ROUTES.has(k))) return 'oral';
    const words = byWords([...textsOf(d['route']), ...codings.map((c) => c.display ?? '')].join(' '));
    if (words !== undefined) return words;
  }
  if (productRoute !== undefined) return productRoute === 'oral' ? 'oral' : 'other';
  for (const d of dosage) {
    const words = byWords(str(d['text']) ?? '');
    if (words !== undefined) return words;
  }
  return byWords(texts.join(' '));
}

const NOT_SYSTEMIC_NSAID = /\b(topical|cream|ointment|lotion|gel|patch|transdermal|ophthalmic|otic|eye|ear)\b/i;

/** Finds resources by the ways references are written: `#id`, `Type/id`, fullUrl, or an absolute URL. */
class ReferenceResolver {
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

export class RecordIndexer {
  constructor(private readonly terminology: Terminology) {}

  index(input: RecordInput): PatientRecord {
    const resolver = new ReferenceResolver();
    const all: { r: R; fullUrl?: string; draft: boolean }[] = [];
    const skipped: string[] = [];
    const counts: Record<string, number> = {};
    const push = (e: GatheredEntry, draft: boolean): void => {
      const r = e.resource as unknown as Json;
      if (!isObject(r) || typeof r['resourceType'] !== 'string') {
        skipped.push('an entry without a resource');
        return;
      }
      resolver.add(r, e.fullUrl);
      all.push({ r, draft, ...(e.fullUrl !== undefined ? { fullUrl: e.fullUrl } : {}) });
      const type = r['resourceType'] as string;
      counts[type] = (counts[type] ?? 0) + 1;
    };
    for (const e of input.entries) push(e, false);
    for (const e of input.draftOrders ?? []) push(e, true);

    const now = input.now;
    let patient: PatientInfo = { deceased: false };
    const conditions: ConditionEntry[] = [];
    const conditionByRef = new Map<R, ConditionEntry>();
    const observations: ObservationEntry[] = [];
    const medicationRequests: { r: R; draft: boolean; ref: string }[] = [];
    const events: { r: R; draft: boolean; ref: string }[] = [];
    const seen = new Set<string>();

    for (const { r, fullUrl, draft } of all) {
      const type = r['resourceType'] as string;
      const ref = refOf(r, fullUrl);
      // The same resource may come twice (a prefetch key and an _include, or two pages); keep the first.
      const dedupe = `${draft ? 'draft:' : ''}${ref}`;
      if (str(r['id']) !== undefined) {
        if (seen.has(dedupe)) continue;
        seen.add(dedupe);
      }
      if (draft) {
        if (type === 'MedicationRequest') medicationRequests.push({ r, draft, ref });
        else if (type === 'ServiceRequest' || type === 'Procedure') events.push({ r, draft, ref });
        continue;
      }
      switch (type) {
        case 'Patient':
          if (str(r['id']) === undefined || r['id'] === input.context.patientId || patient.id === undefined)
            patient = this.patient(r, now);
          break;
        case 'Condition': {
          const c = this.condition(r, ref);
          conditions.push(c);
          conditionByRef.set(r, c);
          break;
        }
        case 'Observation':
          observations.push(...this.observation(r, ref));
          break;
        case 'MedicationRequest':
          medicationRequests.push({ r, draft, ref });
          break;
        case 'Procedure':
        case 'ServiceRequest':
        case 'DiagnosticReport':
        case 'ImagingStudy':
          events.push({ r, draft, ref });
          break;
        default:
          break;
      }
    }

    const reasonsOf = (r: R): Reasons => {
      const codeKeys = keysOf(codingsOf(r['reasonCode']));
      const resolved: ConditionEntry[] = [];
      for (const ref of objects(r['reasonReference'])) {
        // A reference that does not resolve to a Condition of the record says nothing either way.
        const target = resolver.resolve(ref, r);
        if (target === undefined || target['resourceType'] !== 'Condition') continue;
        resolved.push(conditionByRef.get(target) ?? this.condition(target, refOf(target, undefined)));
      }
      return {
        codeSets: this.terminology.membership(codeKeys),
        hasReasonCode: codeKeys.length > 0,
        conditions: resolved,
      };
    };

    const medications = medicationRequests.map(({ r, draft, ref }) =>
      this.medication(r, ref, draft, now, resolver, reasonsOf(r)),
    );
    const indexedEvents = events.map(({ r, draft, ref }) => this.event(r, ref, draft, now, reasonsOf(r)));

    const drafts: OrderEntry[] = [...medications.filter((m) => m.draft), ...indexedEvents.filter((e) => e.draft)];
    const selected = input.selections === undefined ? undefined : new Set(input.selections);
    const judged = selected === undefined ? drafts : drafts.filter((d) => selected.has(d.ref));

    return {
      now,
      patientId: input.context.patientId,
      ...(input.context.encounterId !== undefined ? { encounterId: input.context.encounterId } : {}),
      ...(input.context.userId !== undefined ? { userId: input.context.userId } : {}),
      patient,
      conditions,
      observations,
      medications: medications.filter((m) => !m.draft),
      events: indexedEvents.filter((e) => !e.draft),
      drafts,
      judged,
      counts,
      skipped,
    };
  }

  private patient(r: R, now: Date): PatientInfo {
    const birthDate = parseDate(r['birthDate']);
    const deceased = r['deceasedBoolean'] === true || str(r['deceasedDateTime']) !== undefined;
    const info: PatientInfo = { deceased };
    const id = str(r['id']);
    if (id !== undefined) info.id = id;
    if (birthDate !== undefined) {
      info.birthDate = birthDate;
      info.age = ageAt(birthDate, now);
    }
    return info;
  }

  private condition(r: R, ref: string): ConditionEntry {
    const codings = codingsOf(r['code']);
    const keys = keysOf(codings);
    const clinical = conceptCode(r['clinicalStatus']);
    const verification = conceptCode(r['verificationStatus']);
    const valid = verification === undefined || !CONDITION_INVALID.has(verification);
    // R4 lets clinicalStatus be absent only when verificationStatus is entered-in-error; an EHR that omits it
    // anyway is read as active unless the condition has abated.
    const hasAbatement =
      ['abatementDateTime', 'abatementPeriod', 'abatementAge', 'abatementString', 'abatementRange'].some(
        (k) => r[k] !== undefined,
      ) || r['abatementBoolean'] === true;
    const active = valid && (clinical === undefined ? !hasAbatement : CONDITION_ACTIVE.has(clinical));
    const onset = firstDate(r['onsetDateTime'], periodStart(r['onsetPeriod']), r['recordedDate']);
    const entry: ConditionEntry = {
      ref,
      keys,
      sets: this.terminology.membership(keys),
      display: displayOf(r['code'], 'condition'),
      resource: r as unknown as Condition,
      active,
      valid,
      enteredInError: verification === 'entered-in-error',
    };
    if (onset !== undefined) entry.onset = onset;
    const laterality = lateralityOf(codings, codingsOf(r['bodySite']), textsOf(r['bodySite']));
    if (laterality !== undefined) entry.laterality = laterality;
    return entry;
  }

  private observation(r: R, ref: string): ObservationEntry[] {
    const status = str(r['status']);
    if (status !== undefined && !OBSERVATION_VALID.has(status)) return [];
    const date = firstDate(r['effectiveDateTime'], periodStart(r['effectivePeriod']), r['effectiveInstant'], r['issued']);
    const out: ObservationEntry[] = [];
    const add = (codeElement: Json, valueHolder: R): void => {
      const keys = keysOf(codingsOf(codeElement));
      if (keys.length === 0) return;
      const entry: ObservationEntry = { ref, keys, sets: this.terminology.membership(keys) };
      if (date !== undefined) entry.date = date;
      const q = valueHolder['valueQuantity'];
      const value = isObject(q) ? num(q['value']) : (num(valueHolder['valueInteger']) ?? num(valueHolder['valueDecimal']));
      if (value !== undefined) entry.value = value;
      const unit = isObject(q) ? (str(q['code']) ?? str(q['unit'])) : undefined;
      if (unit !== undefined) entry.unit = unit;
      for (const k of keys) {
        const instrument = this.terminology.promInstrument(k);
        if (instrument !== undefined) {
          entry.instrument = instrument;
          break;
        }
      }
      out.push(entry);
    };
    add(r['code'], r);
    // A panel (HOOS) may carry its subscales as components.
    for (const component of objects(r['component'])) add(component['code'], component);
    return out;
  }

  /**
   * A MedicationRequest, recognised in this order (PATHWAY §1): a product code (SCD/SBD) mapped to its
   * ingredients, whose classes are the product's (route-aware: a topical NSAID is not an NSAID); an ingredient
   * code; the ingredients of the referenced Medication resource; and, for medications only, names in the
   * uncoded text or displays ("ibuprofen 600 mg tab", "Synvisc-One").
   */
  private medication(
    r: R,
    ref: string,
    draft: boolean,
    now: Date,
    resolver: ReferenceResolver,
    reasons: Reasons,
  ): MedicationEntry {
    const concept = r['medicationCodeableConcept'];
    const reference = r['medicationReference'];
    const medication = reference !== undefined ? resolver.resolve(reference, r) : undefined;
    const texts: string[] = [...textsOf(concept)];
    const keys = keysOf(codingsOf(concept));
    if (medication !== undefined) {
      keys.push(...keysOf(codingsOf(medication['code'])).filter((k) => !keys.includes(k)));
      texts.push(...textsOf(medication['code']));
    }
    if (isObject(reference)) {
      const d = str(reference['display']);
      if (d !== undefined) texts.push(d);
    }

    let ingredients: Ingredient[] = [];
    const classes = new Set<string>();
    let matchedBy: MedicationEntry['matchedBy'] = 'none';
    let doseForm: string | undefined;
    let productRoute: string | undefined;
    for (const key of keys) {
      const product = this.terminology.products.get(key);
      if (product === undefined) continue;
      productRoute = product.route;
      ingredients = product.ingredients.map((ing) => this.ingredient(ing.code, ing.name, ing.strength));
      for (const c of product.classes ?? ingredients.flatMap((i) => i.classes)) classes.add(c);
      doseForm = product.doseForm;
      matchedBy = 'product';
      break;
    }
    if (matchedBy === 'none') {
      const direct = keys.filter((k) => this.terminology.classesOfIngredient(k).length > 0);
      if (direct.length > 0) {
        ingredients = direct.map((k) => this.ingredient(k.split('|')[1] ?? null, undefined, undefined));
        matchedBy = 'ingredient';
      }
    }
    const fromResource = medication !== undefined ? this.ingredientsFromMedication(medication) : [];
    if (matchedBy === 'none' && fromResource.length > 0) {
      ingredients = fromResource;
      matchedBy = 'medication-resource';
    } else {
      // The Medication resource may still tell the strength the code did not.
      for (const ing of ingredients) ing.strength ??= fromResource.find((f) => f.key === ing.key)?.strength;
    }
    if (matchedBy === 'none') {
      const named = this.terminology.medicationsInText(texts.join(' | '));
      ingredients = named.keys.map((k) => this.ingredient(k.split('|')[1] ?? null, undefined, undefined));
      for (const c of named.classes) classes.add(c);
      if (ingredients.length > 0 || named.classes.length > 0) matchedBy = 'text';
    }
    if (matchedBy !== 'product') for (const ing of ingredients) for (const c of ing.classes) classes.add(c);
    if (matchedBy === 'text' || matchedBy === 'ingredient' || matchedBy === 'medication-resource') {
      // Without a product code the route comes from the words: a hydrocortisone cream is not a systemic
      // corticosteroid and a diclofenac gel is not a hip NSAID (the products file decides this by route).
      const words = texts.join(' ');
      if (NOT_SYSTEMIC_STEROID.test(words)) classes.delete(VS_SYSTEMIC_CORTICOSTEROID);
      if (NOT_SYSTEMIC_NSAID.test(words)) classes.delete(VS_NSAID);
    }
    if (medication !== undefined) doseForm ??= formFromMedication(medication);

    const status = str(r['status']) ?? 'unknown';
    const authoredOn = parseDate(r['authoredOn']) ?? (draft ? now : undefined);
    const entry: MedicationEntry = {
      resourceType: 'MedicationRequest',
      ref,
      keys,
      sets: this.terminology.membership(keys),
      display: texts[0] ?? (ingredients.map((i) => i.name).join(' / ') || 'medication'),
      resource: r as unknown as MedicationRequest,
      status,
      current: !draft && MEDICATION_CURRENT.has(status),
      draft,
      ingredients,
      classes,
      matchedBy,
      reasons,
    };
    if (authoredOn !== undefined) entry.authoredOn = authoredOn;
    if (doseForm !== undefined) entry.doseForm = doseForm;
    const route = routeOf(objects(r['dosageInstruction']), productRoute, texts);
    if (route !== undefined) entry.route = route;
    return entry;
  }

  private ingredient(code: string | null, name: string | undefined, strength: Ingredient['strength']): Ingredient {
    if (code === null) {
      const n = (name ?? 'unknown').toLowerCase();
      return {
        key: `name|${n}`,
        name: n,
        classes: this.terminology.medicationsInText(n).classes,
        ...(strength ? { strength: { ...strength } } : {}),
      };
    }
    const key = `${SYSTEMS.rxnorm}|${code}`;
    return {
      key,
      name: this.terminology.ingredientName(key) ?? (name ?? code).toLowerCase(),
      classes: this.terminology.classesOfIngredient(key),
      ...(strength ? { strength: { ...strength } } : {}),
    };
  }

  private event(r: R, ref: string, draft: boolean, now: Date, reasons: Reasons): EventEntry {
    const type = r['resourceType'] as EventResource['resourceType'];
    const codeElements: Json[] =
      type === 'ImagingStudy' ? [r['procedureCode'], ...objects(r['series']).map((s) => s['modality'])] : [r['code']];
    const keys = keysOf(codeElements.flatMap((c) => codingsOf(c)));
    const siteKeys = keysOf([...codingsOf(r['bodySite']), ...objects(r['series']).flatMap((s) => codingsOf(s['bodySite']))]);
    const conclusion = codingsOf(r['conclusionCode']);
    const date =
      type === 'Procedure'
        ? firstDate(r['performedDateTime'], periodStart(r['performedPeriod']))
        : type === 'ServiceRequest'
          ? firstDate(r['authoredOn'], r['occurrenceDateTime'], periodStart(r['occurrencePeriod']))
          : type === 'DiagnosticReport'
            ? firstDate(r['effectiveDateTime'], periodStart(r['effectivePeriod']), r['issued'])
            : firstDate(r['started']);
    const entry: EventEntry = {
      resourceType: type,
      ref,
      keys,
      sets: this.terminology.membership(keys, siteKeys),
      display: displayOf(type === 'ImagingStudy' ? r['procedureCode'] : r['code'], type),
      resource: r as unknown as EventResource,
      status: str(r['status']) ?? 'unknown',
      draft,
      conclusionSets: this.terminology.membership(keysOf(conclusion)),
      conclusions: keysOf(conclusion).map((k) => this.terminology.membership([k])),
      conclusionConcepts: objects(r['conclusionCode']).map((cc) => ({
        display: displayOf(cc, 'a conclusion'),
        sets: this.terminology.membership(keysOf(codingsOf(cc))),
      })),
      reasons,
    };
    const d = date ?? (draft ? now : undefined);
    if (d !== undefined) entry.date = d;
    return entry;
  }

  private ingredientsFromMedication(medication: R): Ingredient[] {
    const out: Ingredient[] = [];
    for (const ing of objects(medication['ingredient'])) {
      const keys = keysOf(codingsOf(ing['itemCodeableConcept']));
      const key = keys.find((k) => this.terminology.classesOfIngredient(k).length > 0);
      if (key === undefined) continue;
      const strength = ratioStrength(ing['strength']);
      out.push(this.ingredient(key.split('|')[1] ?? null, undefined, strength));
    }
    return out;
  }
}

function keysOf(codings: readonly { system?: string; code?: string }[]): string[] {
  const out: string[] = [];
  for (const c of codings) {
    const key = codingKey(c.system, c.code);
    if (key !== undefined && !out.includes(key)) out.push(key);
  }
  return out;
}

let anonymous = 0;
/**
 * `Type/id`, else the fullUrl, else a name unique to this entry: two resources without an id are never taken
 * for the same one.
 */
function refOf(r: R, fullUrl: string | undefined): string {
  const type = str(r['resourceType']) ?? 'Resource';
  const id = str(r['id']);
  if (id !== undefined) return `${type}/${id}`;
  return fullUrl ?? `${type}/(no id ${(anonymous = (anonymous + 1) % Number.MAX_SAFE_INTEGER)})`;
}

function displayOf(concept: Json, fallback: string): string {
  for (const cc of objects(concept)) {
    const text = str(cc['text']);
    if (text !== undefined) return text;
  }
  return codingsOf(concept).find((c) => c.display !== undefined)?.display ?? fallback;
}

export function ageAt(birthDate: Date, now: Date): number {
  let age = now.getUTCFullYear() - birthDate.getUTCFullYear();
  const m = now.getUTCMonth() - birthDate.getUTCMonth();
  if (m < 0 || (m === 0 && now.getUTCDate() < birthDate.getUTCDate())) age--;
  return age;
}

const RIGHT = /(^|[^a-z])right([^a-z]|$)/i;
const LEFT = /(^|[^a-z])left([^a-z]|$)/i;

/** Laterality from an ICD-10-CM code (M16.11 right, M16.12 left), a SNOMED body-site laterality, or text. */
function lateralityOf(
  codes: readonly { system?: string; code?: string }[],
  sites: readonly { code?: string }[],
  siteTexts: readonly string[],
): 'left' | 'right' | undefined {
  for (const coding of codes) {
    const key = codingKey(coding.system, coding.code);
    const c = key === undefined ? coding : { system: key.slice(0, key.indexOf('|')), code: key.slice(key.indexOf('|') + 1) };
    if (c.system === SYSTEMS.icd10cm && c.code !== undefined) {
      // ICD-10-CM M16/M25.55x/M70.6x/M70.7x/M76.0x/S73/S76: a final 1 is right and 2 is left in the hip codes we use.
      const last = c.code.replace(/[A-Z]$/i, '').slice(-1);
      if (/^(M16\.1|M16\.3|M16\.5|M25\.55|M70\.6|M70\.7|M76\.0|S73\.19|S76\.01)/i.test(c.code)) {
        if (last === '1') return 'right';
        if (last === '2') return 'left';
      }
    }
  }
  for (const s of sites) {
    if (s.code === '7771000') return 'left';
    if (s.code === '24028007') return 'right';
  }
  for (const t of siteTexts) {
    if (RIGHT.test(t) && !LEFT.test(t)) return 'right';
    if (LEFT.test(t) && !RIGHT.test(t)) return 'left';
  }
  return undefined;
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
  if (/suspension/.test(texts)) return 'suspension';
  return undefined;
}
