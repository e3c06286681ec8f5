import Mustache from 'mustache';
import { baseView, DERIVED_KEYS } from '../cards/view.js';
import type { CardTemplate, CardTemplates } from '../cards/templates.js';
import type { Terminology } from '../terminology/valuesets.js';
import type { PathwayConfig } from './config.js';
import { computeFacts } from './facts.js';
import type { EvidenceByTopic } from './rule.js';
import { RULES } from './rules/index.js';
import type { TopicCode } from './topics.js';
import { VS } from './value-set-ids.js';
import { RecordIndexer } from '../record/index-record.js';

/** The evidence keys each topic's card receives (EvidenceByTopic), for the placeholder check. */
export const EVIDENCE_KEYS = {
  'radiographs-first': [],
  'mri-without-contrast': ['radiograph'],
  'advanced-imaging-for-surgical-planning': ['diagnoses'],
  'exercise-therapy-first': [],
  'overuse-early-care': ['injury'],
  'exercise-program-review': [],
  'outcome-measure-tracking': [],
  'add-acetaminophen': ['regimen'],
  'add-duloxetine': [],
  'nsaid-gastroprotection': ['clopidogrel', 'antithrombotics', 'askNsaidStillNeeded'],
  'intra-articular-corticosteroid': ['analgesics'],
  'orthopedic-referral': [],
  'hip-preservation-referral': ['diagnoses'],
  'mri-before-radiographs': ['orders'],
  'avoid-opioids': [
    'orders',
    'nextStep',
    'nextIsAcetaminophen',
    'nextIsDuloxetine',
    'nextIsOrderedAcetaminophen',
    'nextIsOrderedDuloxetine',
    'nextIsNone',
  ],
  'acetaminophen-max-dose': ['lines', 'totalMg', 'limitMg', 'totalG', 'limitG', 'unknown'],
  'avoid-hyaluronic-acid': ['orders'],
  'avoid-arthroscopy-in-oa': ['orders', 'osteoarthritis'],
} as const satisfies { readonly [T in TopicCode]: readonly (keyof EvidenceByTopic[T] & string)[] };

/** The type checker holds EVIDENCE_KEYS complete: a key of EvidenceByTopic missing from it is a compile error here. */
type Keys<E> = string extends keyof E ? never : keyof E; // a topic without evidence has none
type Unlisted = { [T in TopicCode]: Exclude<Keys<EvidenceByTopic[T]>, (typeof EVIDENCE_KEYS)[T][number]> }[TopicCode];
export const EVIDENCE_KEYS_COMPLETE: [Unlisted] extends [never] ? true : Unlisted = true;

/** Values a suggestion adds to its card's view: the judged order of a delete/update, and SuggestionChoice.values. */
const SUGGESTION_KEYS = ['order', 'regimen', 'dosage'];

type Token = [string, string, ...unknown[]];

/**
 * The names a template looks up in its view, at the top level: plain and section names, through partials and
 * inverted sections (which keep the context). Names inside a `{{#section}}` may be the section item's own, so
 * they are not judged.
 */
function topLevelNames(template: string, partials: Readonly<Record<string, string>>, seen = new Set<string>()): string[] {
  const names: string[] = [];
  const walk = (tokens: readonly Token[]): void => {
    for (const t of tokens) {
      const [type, value] = t;
      if (type === 'name' || type === '&' || type === '#' || type === '^') names.push(value);
      if (type === '^') walk((t[4] ?? []) as Token[]);
      if (type === '>' && !seen.has(value)) {
        seen.add(value);
        names.push(...topLevelNames(partials[value] ?? '', partials, seen));
      }
    }
  };
  walk(Mustache.parse(template));
  return names;
}

function strings(x: unknown, out: string[] = []): string[] {
  if (typeof x === 'string') out.push(x);
  else if (Array.isArray(x)) for (const v of x) strings(v, out);
  else if (x !== null && typeof x === 'object') for (const v of Object.values(x)) strings(v, out);
  return out;
}

function templateTexts(t: CardTemplate): { where: string; text: string; inSuggestion: boolean }[] {
  const out = [
    { where: 'summary', text: t.summary, inSuggestion: false },
    { where: 'detail', text: t.detail, inSuggestion: false },
  ];
  for (const [id, s] of Object.entries(t.suggestions ?? {}))
    for (const text of strings(s)) out.push({ where: `suggestion ${id}`, text, inSuggestion: true });
  return out;
}

/**
 * The pathway's data agree with its code, checked at start-up and in a test: every value-set id the code names
 * is a file of valuesets/, every suggestion a rule may choose exists in its card template, and every placeholder
 * of a card resolves to a value the card can receive (the shared view, its topic's evidence, a suggestion's
 * values). Returns the problems (empty when all is well).
 */
export function checkPathway(terminology: Terminology, templates: CardTemplates, config: PathwayConfig): string[] {
  const problems: string[] = [];
  for (const id of Object.values(VS))
    if (!terminology.valueSets.has(id)) problems.push(`value set "${id}" has no file valuesets/${id}.json`);

  const empty = new RecordIndexer(terminology).index({ now: new Date(), context: { patientId: 'check' }, entries: [] });
  const base = baseView(computeFacts(empty, config), config, templates.shared);
  const withTexts = (keys: readonly string[], arrays: readonly string[]): Set<string> =>
    new Set([...keys, ...arrays.map((k) => `${k}Text`)]);
  const baseKeys = withTexts(
    Object.keys(base),
    Object.keys(base).filter((k) => Array.isArray(base[k]) || base[k] === undefined),
  );

  for (const rule of RULES) {
    const t = templates.byTopic.get(rule.topic);
    if (t === undefined) {
      problems.push(`${rule.topic}: no card template`);
      continue;
    }
    for (const id of rule.offers)
      if (t.suggestions?.[id] === undefined) problems.push(`${rule.topic}: card has no suggestion "${id}"`);
    const evidence: readonly string[] = EVIDENCE_KEYS[rule.topic];
    const known = new Set([...baseKeys, ...withTexts(evidence, evidence), ...(DERIVED_KEYS[rule.topic] ?? [])]);
    for (const { where, text, inSuggestion } of templateTexts(t)) {
      for (const name of topLevelNames(text, templates.shared.partials)) {
        const head = name.split('.')[0] ?? name;
        if (head === '.' || known.has(head) || (inSuggestion && SUGGESTION_KEYS.includes(head))) continue;
        problems.push(`${rule.topic}: ${where} uses {{${name}}}, which this card never receives`);
      }
    }
  }
  return problems;
}
