import { readFileSync, writeFileSync } from 'node:fs';
import { loadCardTemplates, type ActionTemplate, type CardTemplate, type PathwaySource } from '../src/cards/templates.js';
import type { Card } from '../src/cds/types.js';
import { loadPathwayConfig } from '../src/pathway/config.js';
import { Pathway } from '../src/pathway/run.js';
import { projectPath } from '../src/data-files.js';
import { loadScenario, scenarioNames } from './fixtures/scenarios.js';
import { RULES } from '../src/pathway/rules/index.js';
import { TOPIC_SYSTEM, OVERRIDE_REASON_SYSTEM } from '../src/pathway/topics.js';
import { loadTerminology } from '../src/terminology/valuesets.js';
import { alertBurden, alertBurdenSection, episodeTrajectories } from './alert-burden.js';

/**
 * Writes docs/pathway.md, the document a clinician signs off, from the sources of truth: each rule's named
 * conditions (`when`, `unless`: the names the code runs, src/pathway/rules), each card template (cards/), the value sets (valuesets/), the thresholds
 * (config/pathway.yaml), the scenarios (fhir-fixtures/scenarios) and the hand-written choices
 * (docs/pathway-choices.md). `npm run docs` regenerates it; a test fails when it is out of date.
 */
function codesOf(resource: Record<string, unknown> | undefined): string {
  if (resource === undefined) return '';
  const out: string[] = [];
  for (const key of ['code', 'medicationCodeableConcept', 'bodySite']) {
    const v = resource[key];
    for (const cc of Array.isArray(v) ? v : [v]) {
      for (const c of (cc as { coding?: { system?: string; code?: string; display?: string }[] } | undefined)?.coding ?? []) {
        out.push(`${c.system?.replace(/^https?:\/\//, '') ?? ''} ${c.code ?? ''} "${c.display ?? ''}"`);
      }
    }
  }
  return out.join('; ');
}

/**
 * The topic's documentation (cards/<topic>.yaml `documentation`): every statement of the pathway sources that
 * belongs to the topic, with where it is in which source, and the pathway's own notes. The card cites the sources
 * by title; the evidence is here, one link away, and on the topic's page.
 */
export function topicDocumentation(t: CardTemplate, sources: Record<string, PathwaySource>): string[] {
  const out = [
    `**Cited on the card:** ${t.sources.map((k) => `“${sources[k]?.title ?? k}”`).join('; ')}`,
    '',
    '**Evidence from the pathway sources:**',
    '',
  ];
  for (const e of t.documentation.evidence) {
    const src = sources[e.source];
    out.push(`- ${e.statement} — *${src?.title ?? e.source}*, ${e.section}`);
  }
  out.push('');
  if (t.documentation.notes !== undefined && t.documentation.notes.length > 0) {
    out.push('**Pathway notes:**', '', ...t.documentation.notes.map((n) => `- ${n}`), '');
  }
  return out;
}

function describeAction(a: ActionTemplate): string {
  if (a.type === 'delete') return `delete the judged draft order (by \`resourceId\`)`;
  if (a.type === 'update') return `update the judged draft order: ${Object.keys(a.set ?? {}).join(', ')} replaced`;
  const r = a.resource ?? {};
  const dose = Array.isArray(r['dosageInstruction'])
    ? ` — dosage: "${(r['dosageInstruction'][0] as { text?: string }).text ?? ''}"`
    : '';
  const side =
    a.laterality !== undefined
      ? ` — for one hip: the side the hip conditions name is added (bodySite, text${
          a.laterality.codes !== undefined
            ? `; side-specific codes ${Object.values(a.laterality.codes)
                .map((c) => `${c.code} "${c.display}"`)
                .join(', ')}`
            : ''
        }), or the text asks to confirm it`
      : '';
  const text = (x: unknown): string => (typeof x === 'string' ? x : '');
  return `create ${text(r['resourceType'])} (${text(r['intent'])}): ${codesOf(r)}${dose}${side}`;
}

export function renderPathwayDoc(): string {
  const templates = loadCardTemplates();
  const terminology = loadTerminology();
  // Examples are rendered at a fixed date so that the document only changes when the pathway does.
  const now = new Date('2026-01-15T09:00:00Z');
  const scenarios = scenarioNames().map((n) => loadScenario(n, now));
  const pathwayConfig = loadPathwayConfig();
  const pathwayRunner = new Pathway(terminology, templates, pathwayConfig);
  const example = (topic: string, scenarioName: string | undefined): Card | undefined => {
    const s = scenarios.find((x) => x.name === scenarioName);
    if (s === undefined) return undefined;
    const run = pathwayRunner.run(s.hook, {
      now,
      context: { patientId: s.patientId, userId: 'Practitioner/example' },
      entries: [s.patient, ...s.resources].map((resource) => ({ resource })),
      draftOrders: (s.draftOrders ?? []).map((resource) => ({ resource })),
      ...(s.hook === 'order-select' ? { selections: s.selections ?? [] } : {}),
    });
    return run.cards[run.findings.findIndex((f) => f.topic === topic)];
  };
  const config = readFileSync(projectPath('config', 'pathway.yaml'), 'utf8');
  const choices = readFileSync(projectPath('docs', 'pathway-choices.md'), 'utf8').trim();
  const { pathway } = templates.shared;
  const out: string[] = [];
  out.push(
    `# ${pathway.name} v${pathway.version}: topics for clinical sign-off`,
    '',
    '<!-- Generated by `npm run docs` from src/pathway/rules, cards/, valuesets/, config/pathway.yaml,',
    '     fhir-fixtures/scenarios and docs/pathway-choices.md. Edit those, not this file. -->',
    '',
    "The service's clinical contract is docs/clinical-spec.md, made from the two source documents: “What is the next",
    'step in managing hip pain that is not improving with therapy?” and “What is the treatment for hip overuse',
    'injury?”. This page shows, for each of its 18 topics, when',
    'the card fires and when it must not, exactly what it says, what it suggests (with every code), every statement of',
    'the source documents that belongs to it, and the test patients that prove it. Each topic ends with a sign-off line.',
    'The two sources are 2025 clinical summaries of guidelines published on a medical information site (Dr.Oracle),',
    "not professional-society guidelines; cards cite them by title as the pathway's sources.",
    '',
    '"Fires when" and "Must not fire when" list the named conditions the code runs (src/pathway/conditions.ts and each',
    "rule's own), with the terms of docs/clinical-spec.md §2. An excluded patient (under 18, deceased, or an active hip",
    'fracture) gets no patient-view card at all; contradicting patient-view cards are never returned together',
    '(src/pathway/contradictions.ts).',
    '',
    `Cards carry \`source.topic\` = { system \`${TOPIC_SYSTEM}\`, code = the topic code }; override reasons use`,
    `\`${OVERRIDE_REASON_SYSTEM}\`. Placeholders in {{double braces}} are filled with the patient's own facts.`,
    '',
    '## Contents',
    '',
    ...RULES.map(
      (r) =>
        `- [\`${r.topic}\`](#${r.topic}) — ${templates.byTopic.get(r.topic)?.display ?? ''} (${r.hooks === 'order' ? 'order-select, order-sign' : 'patient-view'})`,
    ),
    '- [Shared phrases](#shared-phrases)',
    '- [Windows and thresholds](#windows-and-thresholds)',
    '- [Value sets](#value-sets)',
    '- [Alert burden on the Synthea records](#alert-burden-on-the-synthea-records)',
    '- [Choices where the clinical specification is silent](#choices-where-the-clinical-specification-is-silent)',
    '- [Topics and test patients](#topics-and-test-patients)',
    '',
  );
  for (const rule of RULES) {
    const t = templates.byTopic.get(rule.topic);
    if (t === undefined) continue;
    const positive = scenarios.filter((s) => s.expect.topics.includes(rule.topic)).map((s) => `\`${s.name}\``);
    const negative = scenarios.filter((s) => (s.expect.mustNot ?? []).includes(rule.topic)).map((s) => `\`${s.name}\``);
    out.push(
      `## ${rule.topic}`,
      '',
      `**${t.display}** — indicator \`${t.indicator}\` — hook${rule.hooks === 'order' ? 's order-select (selected orders) and order-sign (all draft orders)' : ' patient-view'}`,
      '',
      `- **Fires when:** ${rule.when.map((c) => c.name).join('; and ')}.`,
      `- **Must not fire when:** ${rule.unless.length > 0 ? `${rule.unless.map((c) => c.name).join('; or ')}.` : '(no exclusion beyond the trigger)'}`,
      ...(rule.suggests !== undefined ? [`- **Suggestion logic:** ${rule.suggests}`] : []),
      `- **Needs:** ${rule.needs.join(', ')} (when one of them is unknown, the rule does not run: docs/fhir-data.md)`,
      '',
      `**Summary:** ${t.summary}`,
      '',
      '**Detail:**',
      '',
      ...t.detail
        .trim()
        .split('\n')
        .map((l) => `> ${l}`),
      '',
      ...topicDocumentation(t, templates.shared.sources),
    );
    const suggestions = Object.entries(t.suggestions ?? {});
    if (suggestions.length > 0) {
      out.push(`**Suggestions** (selection: ${t.selectionBehavior ?? 'at-most-one'}):`, '');
      for (const [id, s] of suggestions) {
        out.push(`- \`${id}\` — "${s.label}"${s.isRecommended === true ? ' (recommended)' : ''}`);
        for (const a of s.actions) out.push(`  - ${describeAction(a)}`);
      }
      out.push('');
    }
    if (t.overrideReasons !== undefined)
      out.push(`**Override reasons:** ${t.overrideReasons.map((r) => `\`${r.code}\` "${r.display}"`).join('; ')}`, '');
    const card = example(rule.topic, scenarios.find((sc) => sc.expect.topics.includes(rule.topic))?.name);
    if (card !== undefined) {
      const from = scenarios.find((sc) => sc.expect.topics.includes(rule.topic))?.name ?? '';
      out.push(
        `**Example** (scenario \`${from}\`, as of ${now.toISOString().slice(0, 10)}):`,
        '',
        `> **${card.summary}**`,
        '>',
        ...(card.detail ?? '').split('\n').map((l) => `> ${l}`.trimEnd()),
        '',
      );
    }
    out.push(
      `**Test patients:** fires for ${positive.join(', ') || '(none)'}; must not fire for ${negative.join(', ') || '(none)'}.`,
      '',
      'Clinical sign-off: name ____________________ date __________ [ ] approved [ ] changes requested',
      '',
    );
  }
  out.push('## Shared phrases', '', 'The partials the details use (`cards/_shared.yaml`):', '');
  for (const [name, text] of Object.entries(templates.shared.partials))
    out.push(`- \`{{> ${name}}}\`: \`${text.replace(/\n/g, '\\n')}\``);
  out.push('');
  out.push(
    '## Windows and thresholds',
    '',
    'From `config/pathway.yaml` (override any of them with `PATHWAY_CONFIG`):',
    '',
    '```yaml',
    config.trim(),
    '```',
    '',
  );
  out.push(
    '## Value sets',
    '',
    'One file per set in `valuesets/`; every code names the public source it was verified from.',
    '',
    '| value set | codes | purpose |',
    '|---|---|---|',
  );
  for (const vs of [...terminology.valueSets.values()].sort((a, b) => a.id.localeCompare(b.id))) {
    out.push(
      `| \`${vs.id}\` | ${vs.codes.length}${vs.fallbackNames !== undefined ? ` (+ ${vs.fallbackNames.length} names)` : ''} | ${vs.purpose.replace(/\|/g, '/').replace(/\n/g, ' ')} |`,
    );
  }
  out.push(
    `| \`medication-products\` | ${terminology.products.size} products | RxNorm clinical drugs mapped to ingredients, strengths and classes (route-aware) |`,
    '',
  );
  out.push(...alertBurdenSection(alertBurden(pathwayRunner), episodeTrajectories(pathwayRunner)));
  out.push('## Choices where the clinical specification is silent', '', choices, '');
  out.push(
    '## Topics and test patients',
    '',
    'Each scenario of `fhir-fixtures/scenarios` and the exact set of topics it must produce (tests/pathway/scenarios.test.ts):',
    '',
    '| scenario | hook | topics |',
    '|---|---|---|',
  );
  for (const s of scenarios) out.push(`| \`${s.name}\` | ${s.hook} | ${s.expect.topics.join(', ') || '(none)'} |`);
  out.push('');
  return `${out.join('\n')}\n`;
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  writeFileSync(projectPath('docs', 'pathway.md'), renderPathwayDoc());
  process.stdout.write('wrote docs/pathway.md\n');
}
