import type { FhirResource, Reference } from 'fhir/r4.js';
import { randomUUID } from 'node:crypto';
import { RELATIVE_REFERENCE } from '../cds/ids.js';
import type { Action, Card, Suggestion } from '../cds/types.js';
import type { PathwayConfig } from '../pathway/config.js';
import type { PatientFacts } from '../pathway/facts.js';
import type { Finding, SuggestionChoice } from '../pathway/rule.js';
import { OVERRIDE_REASON_SYSTEM, TOPIC_SYSTEM } from '../pathway/topics.js';
import type { OrderEntry, PatientRecord } from '../record/types.js';
import { compileTemplate, LayeredView, renderTemplate } from './compiled-template.js';
import { escapeRecordText } from './escape.js';
import { hipSide, loadSideCodes, orderSide, type HipSide, type SideCodes } from './laterality.js';
import type { ActionTemplate, CardTemplate, CardTemplates, Coding } from './templates.js';
import { baseView, buildView, present, type View } from './view.js';

/**
 * Renders a finding into a CDS Hooks card from its template in cards/. Record text in the markdown detail goes
 * through escapeRecordText (src/cards/escape.ts), so a condition name can never become a link, image, heading,
 * list or HTML in the EHR. The detail ends with the pathway sources it rests on, cited by title; a one-sided order
 * carries the side the hip conditions name (src/cards/laterality.ts).
 */

const MAX_SUMMARY = 139;
const ONE_PLACEHOLDER = /^\{\{\s*([\w.]+)\s*\}\}$/;

/** Separates a card's detail from the line that cites its sources (the "optional section" after the detail). */
export const SOURCES_SEPARATOR = '\n\n';

const plain = (value: unknown): string => String(value);

/** A card's view (layers on the call's view) or a plain one. */
type AnyView = View | LayeredView;

function lookup(view: AnyView, path: readonly string[]): unknown {
  let x: unknown = view;
  for (const part of path) {
    if (x instanceof LayeredView) {
      x = x.get(part);
      continue;
    }
    if (x === null || typeof x !== 'object') return undefined;
    x = (x as Record<string, unknown>)[part];
  }
  return x;
}

/** A template value compiled once: called with a view, it gives the filled value. */
type Filler = (view: AnyView) => unknown;

/**
 * Compiles a template value (a string, or the YAML object of a suggested resource). Strings without
 * placeholders and subtrees made only of them are constants, shared by every card that uses them (they are
 * only serialised, never changed); a string that is exactly one placeholder keeps the value's type (a dose
 * stays a number); other strings are Mustache templates, compiled once (src/cards/compiled-template.ts).
 */
function compile(template: unknown): { constant: boolean; fill: Filler } {
  if (typeof template === 'string') {
    if (!template.includes('{{')) return { constant: true, fill: () => template };
    const one = ONE_PLACEHOLDER.exec(template);
    const path = one?.[1]?.split('.');
    const render = compileTemplate(template);
    return {
      constant: false,
      fill: (view) => {
        if (path !== undefined) {
          const value = lookup(view, path);
          // A value that is exactly one placeholder keeps its type; an absent one leaves its key out of the
          // resource (an as-needed reason or a route the draft does not have).
          if (value === undefined) return undefined;
          if (typeof value !== 'string') return value;
        }
        return render(view, plain);
      },
    };
  }
  if (Array.isArray(template)) {
    const list: readonly unknown[] = template;
    const parts = list.map(compile);
    if (parts.every((p) => p.constant)) return { constant: true, fill: () => list };
    return { constant: false, fill: (view) => parts.map((p) => p.fill(view)) };
  }
  if (template !== null && typeof template === 'object') {
    const parts = Object.entries(template).map(([k, v]) => [k, compile(v)] as const);
    if (parts.every(([, p]) => p.constant)) return { constant: true, fill: () => template };
    return {
      constant: false,
      fill: (view) => {
        const out: Record<string, unknown> = {};
        for (const [k, p] of parts) {
          const v = p.fill(view);
          if (v !== undefined) out[k] = v;
        }
        return out;
      },
    };
  }
  return { constant: true, fill: () => template };
}

/** Compiled fillers, one per template value, made on first use. */
const compiled = new Map<unknown, Filler>();
function fill(template: unknown, view: AnyView): unknown {
  let f = compiled.get(template);
  if (f === undefined) {
    f = compile(template).fill;
    compiled.set(template, f);
  }
  return f(view);
}

/** Whitespace other than single spaces: a summary without it is already one line. */
const NOT_ONE_LINE = /[^\S ]|\s\s/;

function clampSummary(s: string): string {
  const oneLine = (NOT_ONE_LINE.test(s) ? s.replace(/\s+/g, ' ') : s).trim();
  return oneLine.length <= MAX_SUMMARY ? oneLine : `${oneLine.slice(0, MAX_SUMMARY - 1).trimEnd()}…`;
}

/** What every card of one call shares, worked out once however many cards the call has. */
interface CallCards {
  facts: PatientFacts;
  record: PatientRecord;
  /** The view of the call's facts. */
  base: View;
  /** The side the hip conditions name (when a one-sided order needs it). */
  side?: HipSide;
  /** `authoredOn` of every resource the call suggests: the call's time, formatted once. */
  authoredOn?: string;
}

export class CardRenderer {
  constructor(
    private readonly templates: CardTemplates,
    private readonly config: PathwayConfig,
    private readonly sideCodes: SideCodes = loadSideCodes(),
  ) {}

  private side(call: CallCards): HipSide {
    return (call.side ??= hipSide(call.facts.hipConditions.map((c) => c.laterality)));
  }

  private readonly sourceLines = new Map<CardTemplate, string>();

  /** The line that cites a card's sources by title: the same for every patient, rendered once. */
  private sourcesLine(t: CardTemplate): string {
    let line = this.sourceLines.get(t);
    if (line === undefined) {
      const { shared } = this.templates;
      const titles = t.sources.map((k) => `“${shared.sources[k]?.title ?? k}”`).join('; ');
      line = renderTemplate(shared.sourcesLine, { titles, many: t.sources.length > 1, pathway: shared.pathway }, plain).trim();
      this.sourceLines.set(t, line);
    }
    return line;
  }

  template(finding: Finding): CardTemplate {
    const t = this.templates.byTopic.get(finding.topic);
    if (t === undefined) throw new Error(`no card template for ${finding.topic}`);
    return t;
  }

  /** The cards of one call's findings, in their order. */
  renderAll(findings: readonly Finding[], facts: PatientFacts, record: PatientRecord): Card[] {
    if (findings.length === 0) return [];
    const call: CallCards = { facts, record, base: baseView(facts, this.config, this.templates.shared) };
    return findings.map((f) => this.renderCard(f, call));
  }

  /** One finding's card. */
  render(finding: Finding, facts: PatientFacts, record: PatientRecord): Card {
    return this.renderCard(finding, { facts, record, base: baseView(facts, this.config, this.templates.shared) });
  }

  private renderCard(finding: Finding, call: CallCards): Card {
    const t = this.template(finding);
    const { shared } = this.templates;
    const { facts } = call;
    const view = buildView(call.base, finding, facts.now);
    const detail = [renderTemplate(t.detail, view, escapeRecordText, shared.partials).trim().replace(/\n{3,}/g, '\n\n'), this.sourcesLine(t)]
      .filter((s) => s !== '')
      .join(SOURCES_SEPARATOR);

    const card: Card = {
      uuid: randomUUID(),
      summary: clampSummary(renderTemplate(t.summary, view, plain, shared.partials)),
      detail,
      indicator: t.indicator,
      source: {
        label: `${shared.pathway.name} v${shared.pathway.version}`,
        topic: { system: TOPIC_SYSTEM, code: t.topic, display: t.display },
      },
    };
    const suggestions = finding.suggestions
      .map((choice) => this.suggestion(t, choice, view, call))
      .filter((s): s is Suggestion => s !== undefined);
    if (suggestions.length > 0) {
      card.suggestions = suggestions;
      card.selectionBehavior = t.selectionBehavior ?? 'at-most-one';
    }
    if (t.overrideReasons !== undefined) {
      card.overrideReasons = t.overrideReasons.map((r) => ({ system: OVERRIDE_REASON_SYSTEM, code: r.code, display: r.display }));
    }
    return card;
  }

  private suggestion(
    t: CardTemplate,
    choice: SuggestionChoice,
    cardView: LayeredView,
    call: CallCards,
  ): Suggestion | undefined {
    const st = t.suggestions?.[choice.id];
    if (st === undefined) throw new Error(`card template ${t.topic} has no suggestion "${choice.id}"`);
    const view = new LayeredView(present(choice.values ?? {}) as View, cardView);
    const orders = choice.orders ?? [];
    // A suggestion that removes or changes a draft cannot be made for a draft without `Type/id` to name; the
    // rest of it (say, the radiographs that replace the MRI) would then add orders beside the one it was to
    // replace, so the whole suggestion is left out.
    if (st.actions.some((a) => a.forEachOrder === true) && orders.some((o) => !RELATIVE_REFERENCE.test(o.ref))) return undefined;
    const actions: Action[] = [];
    // A one-sided order that replaces a draft takes the draft's side when the draft names one (its bodySite or
    // code), else the side of the hip conditions.
    const draftSide = orderSide(orders, this.sideCodes);
    const side = draftSide === 'left' || draftSide === 'right' ? draftSide : this.side(call);
    for (const a of st.actions) actions.push(...this.actions(a, view, orders, call, side));
    if (actions.length === 0) return undefined;
    const sided = st.actions.some((a) => a.laterality !== undefined);
    const label = fill(st.label, new LayeredView({ order: present(orders[0]) }, view)) as string;
    const suggestion: Suggestion = {
      label: sided ? `${label} (${this.templates.shared.laterality.labelText[side]})` : label,
      uuid: randomUUID(),
      actions,
    };
    if (st.isRecommended !== undefined) suggestion.isRecommended = st.isRecommended;
    return suggestion;
  }

  private actions(
    a: ActionTemplate,
    view: LayeredView,
    orders: readonly OrderEntry[],
    call: CallCards,
    side: HipSide,
  ): Action[] {
    if (a.type === 'create') {
      // A copy: a template without placeholders fills to the template's own (shared) object.
      const content = { ...(fill(a.resource, view) as Record<string, unknown>) };
      let description = fill(a.description, view) as string;
      if (a.laterality !== undefined) {
        this.applySide(content, a.laterality.codes ?? {}, side);
        description = `${description} (${this.templates.shared.laterality.orderText[side]})`;
      }
      return [{ type: 'create', description, resource: this.newResource(content, call) }];
    }
    const out: Action[] = [];
    for (const order of orders) {
      const orderView = new LayeredView({ order: present(order) }, view);
      const description = fill(a.description, orderView) as string;
      if (a.type === 'delete') out.push({ type: 'delete', description, resourceId: order.ref });
      else out.push({ type: 'update', description, resource: this.updated(order, fill(a.set, orderView) as object, call.facts) });
    }
    return out;
  }

  /**
   * A judged draft with the template's fields replaced. Its own reason is kept, and the hip condition is added to
   * `reasonReference` when the draft does not name it yet.
   */
  private updated(order: OrderEntry, set: object, facts: PatientFacts): FhirResource {
    const resource = { ...structuredClone(order.resource), ...set } as Record<string, unknown>;
    const main = facts.mainHipCondition;
    if (main !== undefined && RELATIVE_REFERENCE.test(main.ref)) {
      const reasons = Array.isArray(resource['reasonReference']) ? (resource['reasonReference'] as Reference[]) : [];
      if (!reasons.some((r) => r.reference === main.ref))
        resource['reasonReference'] = [...reasons, { reference: main.ref, display: main.display }];
    }
    return resource as unknown as FhirResource;
  }

  /**
   * The side on a one-sided order: a side-specific coding in place of the coding of its system, bodySite with the
   * side's SNOMED CT body structure, and the side in the code text. With both sides or none on record, the order
   * keeps its unsided codes and its text asks to confirm the side.
   */
  private applySide(resource: Record<string, unknown>, codes: Partial<Record<'left' | 'right', Coding>>, side: HipSide): void {
    const { laterality } = this.templates.shared;
    const known = side === 'left' || side === 'right' ? side : undefined;
    const code = resource['code'] as { coding?: Coding[]; text?: string } | undefined;
    if (code !== undefined) {
      const sideCoding = known !== undefined ? codes[known] : undefined;
      const coding = code.coding ?? [];
      resource['code'] = {
        ...code,
        coding: sideCoding !== undefined ? [sideCoding, ...coding.filter((c) => c.system !== sideCoding.system)] : coding,
        text: `${code.text ?? ''}, ${laterality.orderText[side]}`,
      };
    }
    const templateSite = Array.isArray(resource['bodySite']) ? (resource['bodySite'] as { coding?: Coding[] }[]) : undefined;
    const siteCoding = known !== undefined ? laterality.bodySite[known] : (templateSite?.[0]?.coding?.[0] ?? laterality.bodySite.unknown);
    resource['bodySite'] = [{ coding: [siteCoding], text: laterality.siteText[side] }];
  }

  /** A suggested resource: the template's clinical content plus who, for whom, when and why. */
  private newResource(content: Record<string, unknown>, call: CallCards): FhirResource {
    const { record, facts } = call;
    const resource: Record<string, unknown> = { resourceType: content['resourceType'], status: 'draft', ...content };
    resource['subject'] = { reference: `Patient/${record.patientId}` };
    if (record.encounterId !== undefined) resource['encounter'] = { reference: `Encounter/${record.encounterId}` };
    resource['authoredOn'] = call.authoredOn ??= record.now.toISOString();
    if (record.userId !== undefined && /^(Practitioner|PractitionerRole)\//.test(record.userId))
      resource['requester'] = { reference: record.userId };
    const main = facts.mainHipCondition;
    if (main !== undefined && RELATIVE_REFERENCE.test(main.ref) && resource['reasonReference'] === undefined) {
      resource['reasonReference'] = [{ reference: main.ref, display: main.display }];
    }
    return resource as unknown as FhirResource;
  }
}
