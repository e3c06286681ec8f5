import type { FhirResource } from 'fhir/r4.js';
import Mustache from 'mustache';
import { randomUUID } from 'node:crypto';
import { RELATIVE_REFERENCE } from '../cds/ids.js';
import type { Action, Card, Suggestion } from '../cds/types.js';
import type { PathwayConfig } from '../pathway/config.js';
import type { PatientFacts } from '../pathway/facts.js';
import type { Finding, SuggestionChoice } from '../pathway/rule.js';
import { OVERRIDE_REASON_SYSTEM, TOPIC_SYSTEM } from '../pathway/topics.js';
import type { OrderEntry, PatientRecord } from '../record/types.js';
import type { ActionTemplate, CardTemplate, CardTemplates } from './templates.js';
import { baseView, buildView, present, type View } from './view.js';

/**
 * Renders a finding into a CDS Hooks card from its template in cards/. Patient-derived text in markdown is
 * escaped, so a condition name can never become a link or HTML in the EHR.
 */

const MAX_SUMMARY = 139;
const ONE_PLACEHOLDER = /^\{\{\s*([\w.]+)\s*\}\}$/;

const MARKDOWN_SPECIAL = /[&<>\\`*_[\]|#]/;
const MARKDOWN_SPECIAL_ALL = /[&<>\\`*_[\]|#]/g;
const MARKDOWN_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

/** Escapes patient-derived text for markdown: HTML characters as entities, markdown syntax with a backslash. */
export function escapeMarkdown(value: unknown): string {
  const s = String(value);
  if (!MARKDOWN_SPECIAL.test(s)) return s;
  return s.replace(MARKDOWN_SPECIAL_ALL, (c) => MARKDOWN_ESCAPES[c] ?? `\\${c}`);
}

const plain = (value: unknown): string => String(value);

function lookup(view: View, path: readonly string[]): unknown {
  let x: unknown = view;
  for (const part of path) {
    if (x === null || typeof x !== 'object') return undefined;
    x = (x as Record<string, unknown>)[part];
  }
  return x;
}

/** A template value compiled once: called with a view, it gives the filled value. */
type Filler = (view: View) => unknown;

/**
 * Compiles a template value (a string, or the YAML object of a suggested resource). Strings without
 * placeholders and subtrees made only of them are constants, shared by every card that uses them (they are
 * only serialised, never changed); a string that is exactly one placeholder keeps the value's type (a dose
 * stays a number); other strings are Mustache templates.
 */
function compile(template: unknown): { constant: boolean; fill: Filler } {
  if (typeof template === 'string') {
    if (!template.includes('{{')) return { constant: true, fill: () => template };
    const one = ONE_PLACEHOLDER.exec(template);
    const path = one?.[1]?.split('.');
    Mustache.parse(template);
    return {
      constant: false,
      fill: (view) => {
        if (path !== undefined) {
          const value = lookup(view, path);
          if (value !== undefined && typeof value !== 'string') return value;
        }
        return Mustache.render(template, view, undefined, { escape: plain });
      },
    };
  }
  if (Array.isArray(template)) {
    const parts = template.map(compile);
    if (parts.every((p) => p.constant)) return { constant: true, fill: () => template };
    return { constant: false, fill: (view) => parts.map((p) => p.fill(view)) };
  }
  if (template !== null && typeof template === 'object') {
    const parts = Object.entries(template).map(([k, v]) => [k, compile(v)] as const);
    if (parts.every(([, p]) => p.constant)) return { constant: true, fill: () => template };
    return { constant: false, fill: (view) => Object.fromEntries(parts.map(([k, p]) => [k, p.fill(view)])) };
  }
  return { constant: true, fill: () => template };
}

/** Compiled fillers, one per template value, made on first use. */
const compiled = new Map<unknown, Filler>();
function fill(template: unknown, view: View): unknown {
  let f = compiled.get(template);
  if (f === undefined) {
    f = compile(template).fill;
    compiled.set(template, f);
  }
  return f(view);
}

function clampSummary(s: string): string {
  const oneLine = s.replace(/\s+/g, ' ').trim();
  return oneLine.length <= MAX_SUMMARY ? oneLine : `${oneLine.slice(0, MAX_SUMMARY - 1).trimEnd()}…`;
}

export class CardRenderer {
  /** The shared view of each call's facts, built once however many cards the call has. */
  private readonly bases = new WeakMap<PatientFacts, View>();

  constructor(
    private readonly templates: CardTemplates,
    private readonly config: PathwayConfig,
  ) {}

  private readonly guidanceBlocks = new Map<CardTemplate, string>();

  /** The "what the guidance says" block of a card: the same for every patient, rendered once. */
  private guidance(t: CardTemplate): string {
    let block = this.guidanceBlocks.get(t);
    if (block === undefined) {
      const { shared } = this.templates;
      block = Mustache.render(
        shared.partials['guidance'] ?? '',
        { pathway: shared.pathway, guidance: t.guidance },
        shared.partials,
        { escape: escapeMarkdown },
      ).trim();
      this.guidanceBlocks.set(t, block);
    }
    return block;
  }

  template(finding: Finding): CardTemplate {
    const t = this.templates.byTopic.get(finding.topic);
    if (t === undefined) throw new Error(`no card template for ${finding.topic}`);
    return t;
  }

  render(finding: Finding, facts: PatientFacts, record: PatientRecord): Card {
    const t = this.template(finding);
    const { shared } = this.templates;
    let base = this.bases.get(facts);
    if (base === undefined) {
      base = baseView(facts, this.config, shared);
      this.bases.set(facts, base);
    }
    const view = buildView(base, finding);
    const markdown = { escape: escapeMarkdown };
    const detail = [Mustache.render(t.detail, view, shared.partials, markdown).trim(), this.guidance(t)]
      .filter((s) => s !== '')
      .join('\n\n')
      .replace(/\n{3,}/g, '\n\n');

    const card: Card = {
      uuid: randomUUID(),
      summary: clampSummary(Mustache.render(t.summary, view, shared.partials, { escape: plain })),
      detail,
      indicator: t.indicator,
      source: {
        label: `${shared.pathway.name} v${shared.pathway.version}`,
        topic: { system: TOPIC_SYSTEM, code: t.topic, display: t.display },
      },
    };
    const suggestions = finding.suggestions
      .map((choice) => this.suggestion(t, choice, view, record, facts))
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
    baseView: View,
    record: PatientRecord,
    facts: PatientFacts,
  ): Suggestion | undefined {
    const st = t.suggestions?.[choice.id];
    if (st === undefined) throw new Error(`card template ${t.topic} has no suggestion "${choice.id}"`);
    const view: View = { ...baseView, ...(present(choice.values ?? {}) as View) };
    const orders = choice.orders ?? [];
    // A suggestion that removes or changes a draft cannot be made for a draft without `Type/id` to name; the
    // rest of it (say, the radiographs that replace the MRI) would then add orders beside the one it was to
    // replace, so the whole suggestion is left out.
    if (st.actions.some((a) => a.forEachOrder === true) && orders.some((o) => !RELATIVE_REFERENCE.test(o.ref))) return undefined;
    const actions: Action[] = [];
    for (const a of st.actions) actions.push(...this.actions(a, view, orders, record, facts));
    if (actions.length === 0) return undefined;
    const suggestion: Suggestion = {
      label: fill(st.label, { ...view, order: present(orders[0]) }) as string,
      uuid: randomUUID(),
      actions,
    };
    if (st.isRecommended !== undefined) suggestion.isRecommended = st.isRecommended;
    return suggestion;
  }

  private actions(
    a: ActionTemplate,
    view: View,
    orders: readonly OrderEntry[],
    record: PatientRecord,
    facts: PatientFacts,
  ): Action[] {
    if (a.type === 'create') {
      return [
        {
          type: 'create',
          description: fill(a.description, view) as string,
          resource: this.newResource(fill(a.resource, view) as Record<string, unknown>, record, facts),
        },
      ];
    }
    const out: Action[] = [];
    for (const order of orders) {
      const orderView: View = { ...view, order: present(order) };
      const description = fill(a.description, orderView) as string;
      if (a.type === 'delete') out.push({ type: 'delete', description, resourceId: order.ref });
      else
        out.push({
          type: 'update',
          description,
          resource: { ...structuredClone(order.resource), ...(fill(a.set, orderView) as object) } as FhirResource,
        });
    }
    return out;
  }

  /** A suggested resource: the template's clinical content plus who, for whom, when and why. */
  private newResource(content: Record<string, unknown>, record: PatientRecord, facts: PatientFacts): FhirResource {
    const resource: Record<string, unknown> = { resourceType: content['resourceType'], status: 'draft', ...content };
    resource['subject'] = { reference: `Patient/${record.patientId}` };
    if (record.encounterId !== undefined) resource['encounter'] = { reference: `Encounter/${record.encounterId}` };
    resource['authoredOn'] = record.now.toISOString();
    if (record.userId !== undefined && /^(Practitioner|PractitionerRole)\//.test(record.userId))
      resource['requester'] = { reference: record.userId };
    const main = facts.mainHipCondition;
    if (main !== undefined && RELATIVE_REFERENCE.test(main.ref) && resource['reasonReference'] === undefined) {
      resource['reasonReference'] = [{ reference: main.ref, display: main.display }];
    }
    return resource as unknown as FhirResource;
  }
}
