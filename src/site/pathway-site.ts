import type { CardTemplate, CardTemplates } from '../cards/templates.js';
import type { Card } from '../cds/types.js';
import { readScenarioFile, scenarioNames, type ExampleScenario } from '../examples/scenarios.js';
import type { PathwayConfig } from '../pathway/config.js';
import type { Pathway } from '../pathway/run.js';
import { type Rule, ruleInWords } from '../pathway/rule.js';
import { RULES } from '../pathway/rules/index.js';
import type { TopicCode } from '../pathway/topics.js';
import type { Terminology, ValueSet } from '../terminology/valuesets.js';
import { cardHtml } from './card-html.js';
import { barChartSvg, type Bar } from './chart.js';
import { html, type Html, page, raw } from './html.js';

/**
 * The pathway site: server-rendered pages for the clinical informaticists who review the service before it is
 * switched on. GET /pathway lists the topics by hook; GET /pathway/<topic> shows the rule in words, its windows
 * and thresholds as configured, its value sets with every code and source, the card as an EHR shows it (rendered
 * from a scenario patient that makes it fire), the statement of the pathway's sources it rests on, and the
 * feedback clinicians gave on it. No page holds patient data: the example patients are synthetic fixtures.
 */

/** What clinicians answered to one topic's cards, from the store. */
export interface TopicFeedbackSummary {
  /** Cards of the topic issued (unknown where the store keeps no ledger of issued cards). */
  issued?: number;
  accepted: number;
  overridden: readonly { code: string; display: string; count: number }[];
}

export type FeedbackSummaries = (topic: TopicCode) => Promise<TopicFeedbackSummary | undefined>;

export interface PathwaySiteDeps {
  templates: CardTemplates;
  terminology: Terminology;
  /** The pathway the service runs (its configuration is the one shown). */
  pathway: Pathway;
  feedback?: FeedbackSummaries;
  /** The clock of the example patients (their dates are relative to now). */
  now?: () => Date;
}

const HOOK_GROUPS: readonly { hooks: Rule['hooks']; title: string; intro: string }[] = [
  {
    hooks: 'patient-view',
    title: 'When a chart opens (patient-view)',
    intro: 'These cards review the care of a patient with hip pain when the clinician opens the chart.',
  },
  {
    hooks: 'order',
    title: 'When orders are selected or signed (order-select, order-sign)',
    intro: 'These cards judge the orders being placed: order-select the selected ones, order-sign every draft.',
  },
];

/** Dotted paths of the configuration that a template's wording names ({{config.lookbackMonths}}). */
function configPathsIn(template: CardTemplate): string[] {
  const text = JSON.stringify(template);
  const paths = new Set<string>();
  for (const m of text.matchAll(/\{\{\s*[#^/]?\s*config\.([\w.]+)\s*\}\}/g)) if (m[1] !== undefined) paths.add(m[1]);
  return [...paths].sort();
}

function configValue(config: PathwayConfig, path: string): unknown {
  let x: unknown = config;
  for (const part of path.split('.')) {
    if (x === null || typeof x !== 'object') return undefined;
    x = (x as Record<string, unknown>)[part];
  }
  return x;
}

function formatConfigValue(v: unknown): string {
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** Every leaf of the configuration as a dotted path (for the full table on the index page). */
function configLeaves(x: unknown, prefix = ''): [string, unknown][] {
  if (x === null || typeof x !== 'object' || Array.isArray(x)) return [[prefix, x]];
  return Object.entries(x).flatMap(([k, v]) => configLeaves(v, prefix === '' ? k : `${prefix}.${k}`));
}

function hookLabel(rule: Rule): string {
  return rule.hooks === 'patient-view' ? 'patient-view' : 'order-select, order-sign';
}

export class PathwaySite {
  private readonly now: () => Date;

  constructor(private readonly deps: PathwaySiteDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** The topic codes that have a page. */
  hasTopic(topic: string): topic is TopicCode {
    return RULES.some((r) => r.topic === topic);
  }

  index(prefix = ''): string {
    const { templates } = this.deps;
    const pathwayConfig = this.deps.pathway.config;
    const { pathway } = templates.shared;
    const body = html`<h1>${pathway.name} v${pathway.version}</h1>
<p>The rules of the pathway, one page per topic: when each card fires and when it must not, the data and
thresholds it rests on, the codes it recognises, and the card as the EHR shows it.</p>
${HOOK_GROUPS.map(
  (g) => html`<section aria-labelledby="hook-${g.hooks}">
<h2 id="hook-${g.hooks}">${g.title}</h2>
<p>${g.intro}</p>
<ul class="topics">
${RULES.filter((r) => r.hooks === g.hooks).map((r) => {
  const t = templates.byTopic.get(r.topic);
  return html`<li><a href="${prefix}/pathway/${r.topic}">${t?.display ?? r.topic}</a> <span class="badge">${t?.indicator ?? ''}</span> <code>${r.topic}</code> — <span class="muted">${ruleInWords(r).fires}</span></li>`;
})}
</ul>
</section>`,
)}
<section aria-labelledby="config">
<h2 id="config">Windows and thresholds</h2>
<table>
<caption>As configured on this service</caption>
<thead><tr><th scope="col">setting</th><th scope="col">value</th></tr></thead>
<tbody>
${configLeaves(pathwayConfig).map(([k, v]) => html`<tr><td><code>${k}</code></td><td>${formatConfigValue(v)}</td></tr>`)}
</tbody>
</table>
</section>
<section aria-labelledby="fhir">
<h2 id="fhir">As FHIR resources</h2>
<p>The topic and override-reason CodeSystems and every value set, as FHIR R4 JSON:
<a href="${prefix}/fhir/CodeSystem/topic">CodeSystem/topic</a>, <a href="${prefix}/fhir/CodeSystem/override-reason">CodeSystem/override-reason</a>,
<a href="${prefix}/fhir/ValueSet">all value sets</a>.</p>
</section>`;
    return page(`${pathway.name}: topics`, body, { subtitle: 'Pathway rules for clinical review', prefix });
  }

  async topic(code: TopicCode, prefix = ''): Promise<string> {
    const { templates } = this.deps;
    const pathwayConfig = this.deps.pathway.config;
    const rule = RULES.find((r) => r.topic === code);
    const t = templates.byTopic.get(code);
    if (rule === undefined || t === undefined) throw new Error(`no topic ${code}`);
    const example = this.example(code, prefix);
    const configPaths = configPathsIn(t);
    const feedback = await this.feedbackSection(code, t);
    const valueSets = this.valueSetsOf(rule);
    const body = html`<h1>${t.display}</h1>
<p><span class="badge">${t.indicator}</span> topic <code>${code}</code> · hook ${hookLabel(rule)}</p>
<section aria-labelledby="rule">
<h2 id="rule">The rule</h2>
<p>The named conditions the service runs (the terms of the clinical specification):</p>
<dl>
<dt>Fires when all of these hold</dt><dd><ul>${rule.when.map((c) => html`<li>${c.name}</li>`)}</ul></dd>
<dt>Must not fire when any of these holds</dt><dd>${
      rule.unless.length > 0
        ? html`<ul>${rule.unless.map((c) => html`<li>${c.name}</li>`)}</ul>`
        : 'no exclusion beyond the trigger'
    }</dd>
${rule.suggests !== undefined ? html`<dt>Suggestion</dt><dd>${rule.suggests}</dd>` : ''}
</dl>
</section>
<section aria-labelledby="data">
<h2 id="data">The data it needs</h2>
<p>The card is decided from these FHIR resource types of the patient's record. When one of them cannot be read
(a search the EHR's FHIR server does not answer, a prefetch page that cannot be followed), the card is not
made rather than made on incomplete data.</p>
<ul>${rule.needs.map((t) => html`<li><code>${t}</code></li>`)}</ul>
</section>
<section aria-labelledby="thresholds">
<h2 id="thresholds">Windows and thresholds</h2>
${
  configPaths.length > 0
    ? html`<table><caption>As configured on this service (config/pathway.yaml, or PATHWAY_CONFIG)</caption>
<thead><tr><th scope="col">setting</th><th scope="col">value</th></tr></thead><tbody>
${configPaths.map((p) => html`<tr><td><code>${p}</code></td><td>${formatConfigValue(configValue(pathwayConfig, p))}</td></tr>`)}
</tbody></table>`
    : html`<p>The card's wording names no setting.</p>`
}
<p><a href="${prefix}/pathway#config">Every window and threshold</a></p>
</section>
<section aria-labelledby="valuesets">
<h2 id="valuesets">Value sets</h2>
${valueSets.length > 0 ? valueSets.map((vs) => this.valueSetTable(vs, prefix)) : html`<p>This topic reads no value set of its own.</p>`}
</section>
<section aria-labelledby="example">
<h2 id="example">The card as the EHR shows it</h2>
${
  example !== undefined
    ? html`<p class="muted">Rendered now from the synthetic patient <code>${example.scenario.name}</code>: ${example.scenario.title}</p>${cardHtml(example.card)}`
    : html`<p>No scenario patient makes this card fire.</p>`
}
</section>
<section aria-labelledby="sources">
<h2 id="sources">What it rests on</h2>
<p>The statements of the pathway's sources that this topic rests on. The sources are 2025 clinical summaries of
guidelines published on a medical information site, not professional-society guidelines:</p>
<ul>${t.sources.map((key) => {
      const src = templates.shared.sources[key];
      return html`<li><cite>${src?.title ?? key}</cite> <span class="muted">(${src?.publisher ?? ''}, updated ${src?.updated ?? ''})</span></li>`;
    })}</ul>
${t.documentation.evidence.map(
  (e) =>
    html`<blockquote><p>${e.statement}</p><footer class="muted">${templates.shared.sources[e.source]?.title ?? e.source} — ${e.section}</footer></blockquote>`,
)}
${
  (t.documentation.notes ?? []).length > 0
    ? html`<h3>What the pathway adds</h3><ul>${(t.documentation.notes ?? []).map((n) => html`<li>${n}</li>`)}</ul>`
    : ''
}
</section>
${feedback}
<p><a href="${prefix}/pathway">All topics</a></p>`;
    return page(`${t.display} — ${templates.shared.pathway.name}`, body, { subtitle: `Topic ${code}`, prefix });
  }

  /** The value sets a rule reads, from its declaration. */
  private valueSetsOf(rule: Rule): ValueSet[] {
    return rule.valueSets.map((id) => this.deps.terminology.valueSet(id));
  }

  private valueSetTable(vs: ValueSet, prefix: string): Html {
    return html`<details>
<summary><strong>${vs.title}</strong> <code>${vs.id}</code> — ${vs.codes.length} codes</summary>
<p>${vs.purpose} <a href="${prefix}/fhir/ValueSet/${vs.id}">As FHIR ValueSet</a></p>
<table><caption>${vs.title}: every code with the public source it was verified from</caption>
<thead><tr><th scope="col">system</th><th scope="col">code</th><th scope="col">display</th><th scope="col">source</th></tr></thead>
<tbody>${vs.codes.map(
      (c) => html`<tr><td>${c.system}</td><td><code>${c.code}</code></td><td>${c.display}</td><td>${linkify(c.source)}</td></tr>`,
    )}</tbody></table>
</details>`;
  }

  /** The topic's card, rendered from the first scenario patient that makes it fire. */
  private example(topic: TopicCode, prefix: string): { scenario: ExampleScenario; card: Card } | undefined {
    const now = this.now();
    for (const name of scenarioNames()) {
      const scenario = readScenarioFile(name, now);
      if (!scenario.expect.topics.includes(topic)) continue;
      const result = this.deps.pathway.run(scenario.hook, {
        now,
        context: { patientId: scenario.patientId, userId: 'Practitioner/example' },
        entries: [scenario.patient, ...scenario.resources].map((resource) => ({ resource })),
        draftOrders: (scenario.draftOrders ?? []).map((resource) => ({ resource })),
        ...(scenario.hook === 'order-select' ? { selections: scenario.selections ?? [] } : {}),
      });
      const card = result.cards.find((c) => c.source.topic?.code === topic);
      if (card === undefined) continue;
      card.source.url = `${prefix}/pathway/${topic}`;
      return { scenario, card };
    }
    return undefined;
  }

  private async feedbackSection(topic: TopicCode, t: CardTemplate): Promise<Html> {
    const summary = await this.deps.feedback?.(topic);
    if (summary === undefined || (summary.issued ?? 0) + summary.accepted + summary.overridden.length === 0) {
      return html`<section aria-labelledby="feedback"><h2 id="feedback">Feedback</h2><p>No feedback on this topic's cards yet.</p></section>`;
    }
    const overridden = summary.overridden.reduce((n, r) => n + r.count, 0);
    const bars: Bar[] = [
      ...(summary.issued !== undefined ? [{ label: 'issued', value: summary.issued, group: 'issued' }] : []),
      { label: 'accepted', value: summary.accepted, group: 'accepted' },
      ...summary.overridden.map((r) => ({ label: `overridden: ${r.display}`, value: r.count, group: 'overridden' })),
    ];
    const svg = await barChartSvg(bars, { title: `${t.display}: cards and what clinicians answered`, xTitle: 'cards' });
    const rate =
      summary.issued !== undefined && summary.issued > 0
        ? `${Math.round((100 * summary.accepted) / summary.issued)} %`
        : 'not known';
    const issued = summary.issued !== undefined ? `${summary.issued} cards issued, ` : '';
    return html`<section aria-labelledby="feedback">
<h2 id="feedback">Feedback</h2>
<figure role="img" aria-labelledby="feedback-caption">${raw(svg)}<figcaption id="feedback-caption">${issued}${summary.accepted} accepted, ${overridden} overridden; acceptance rate ${rate}.</figcaption></figure>
<table><caption>Feedback on ${t.display}</caption>
<thead><tr><th scope="col">answer</th><th scope="col">cards</th></tr></thead>
<tbody>${bars.map((b) => html`<tr><td>${b.label}</td><td>${b.value}</td></tr>`)}</tbody></table>
</section>`;
  }
}

/** A source as text with its http(s) URLs as links (sources are public URLs or repository paths). */
function linkify(source: string): Html {
  const parts: (Html | string)[] = [];
  let last = 0;
  for (const m of source.matchAll(/https?:\/\/[^\s;,)]+/g)) {
    parts.push(source.slice(last, m.index));
    parts.push(html`<a href="${m[0]}">${m[0]}</a>`);
    last = m.index + m[0].length;
  }
  parts.push(source.slice(last));
  return html`${parts}`;
}
