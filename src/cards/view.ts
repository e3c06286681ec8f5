import type { TopicCode } from '../pathway/topics.js';
import type { PathwayConfig } from '../pathway/config.js';
import type { PatientFacts, PromTrend } from '../pathway/facts.js';
import type { Finding } from '../pathway/rule.js';
import { isoDay } from '../pathway/time.js';
import { VS } from '../pathway/value-set-ids.js';
import type { MedicationEntry } from '../record/types.js';
import { LayeredView, renderTemplate } from './compiled-template.js';
import { readableDuration } from './duration.js';
import type { SharedTemplates } from './templates.js';

/**
 * The values a card template can show, built from the facts and the finding. Dates become YYYY-MM-DD, durations
 * read "5 days", "16 weeks", "8 months", "37 years" (src/cards/duration.ts), scores are rounded, record entries
 * become `{display, date, ref}`: templates never see FHIR resources. Labels may name configured thresholds
 * ({{config.giRiskAge}}), so the wording follows config/pathway.yaml.
 */

export type View = Record<string, unknown>;

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

function isEntry(x: Record<string, unknown>): boolean {
  return typeof x['ref'] === 'string' && Array.isArray(x['keys']);
}

/**
 * A record entry (condition, medication, event, observation) as a template sees it: display, date, ref, and
 * `text` ("naproxen 500 MG Oral Tablet (since 2026-09-28)" for conditions and medications, "XR Pelvis AP
 * (2026-09-01)" for events).
 */
function entryView(x: Record<string, unknown>): View {
  const ongoing = x['onset'] !== undefined || x['authoredOn'] !== undefined;
  const date = x['onset'] ?? x['authoredOn'] ?? x['date'];
  const display = typeof x['display'] === 'string' ? x['display'] : 'record entry';
  const out: View = { display, ref: x['ref'], text: display };
  if (date instanceof Date) {
    out['date'] = isoDay(date);
    // An order being placed now is named without a date ("is being ordered" says when).
    if (x['draft'] !== true) out['text'] = ongoing ? `${display} (since ${isoDay(date)})` : `${display} (${isoDay(date)})`;
  }
  if (typeof x['value'] === 'number') out['value'] = round(x['value']);
  if (typeof x['unit'] === 'string') out['unit'] = x['unit'];
  if (typeof x['status'] === 'string') out['status'] = x['status'];
  return out;
}

/** "a; b and c" from entry views' `text`. */
function listText(items: unknown[]): string | undefined {
  const texts = items
    .map((i) => (i !== null && typeof i === 'object' ? (i as View)['text'] : undefined))
    .filter((t): t is string => typeof t === 'string');
  if (texts.length !== items.length || texts.length === 0) return undefined;
  return texts.length === 1 ? texts[0] : `${texts.slice(0, -1).join('; ')} and ${texts[texts.length - 1] ?? ''}`;
}

/** "a, b and c"; undefined for none. */
function andList(items: readonly string[]): string | undefined {
  if (items.length <= 1) return items[0];
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1] ?? ''}`;
}

/** Adds `<key>Text` beside every list of entries (`nsaids` -> `nsaidsText`), to the view itself (a fresh one). */
function withListTexts(view: View): View {
  for (const k of Object.keys(view)) {
    const v = view[k];
    if (Array.isArray(v)) {
      const text = listText(v);
      if (text !== undefined) view[`${k}Text`] = text;
    }
  }
  return view;
}

/** Any evidence value made template-ready. */
export function present(x: unknown): unknown {
  if (x instanceof Date) return isoDay(x);
  if (typeof x === 'number') return round(x);
  if (Array.isArray(x)) return x.map(present);
  if (x !== null && typeof x === 'object') {
    const o = x as Record<string, unknown>;
    if (isEntry(o)) return entryView(o);
    if (x instanceof Set) return [...x].map(present);
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, present(v)]));
  }
  return x;
}

/** Labels that name configured values, filled once per configuration. */
const configLabels = new WeakMap<PathwayConfig, Map<string, string>>();
function label(shared: SharedTemplates, group: string, key: string, config?: PathwayConfig): string {
  const text = shared.labels[group]?.[key] ?? key;
  if (config === undefined || !text.includes('{{')) return text;
  let filled = configLabels.get(config);
  if (filled === undefined) {
    filled = new Map();
    configLabels.set(config, filled);
  }
  const cacheKey = `${group}.${key}`;
  let value = filled.get(cacheKey);
  if (value === undefined) {
    value = renderTemplate(text, { config }, (v: unknown) => String(v));
    filled.set(cacheKey, value);
  }
  return value;
}

function promView(t: PromTrend, shared: SharedTemplates, config: PathwayConfig): View {
  const name = label(shared, 'instruments', t.instrument);
  const unit = t.scale === '0-10' ? '/10' : '/100';
  const base = t.baseline;
  const latest = t.latest;
  let text: string;
  if (base !== undefined && latest !== undefined) {
    text = `${name} ${round(base.value)}${unit} (${isoDay(base.date)}) → ${round(latest.value)}${unit} (${isoDay(latest.date)})`;
  } else if (latest !== undefined) {
    text = `${name} ${round(latest.value)}${unit} (${isoDay(latest.date)}), a single value`;
  } else {
    text = name;
  }
  let why: string;
  if (t.noTrendBecause !== undefined) why = label(shared, 'noTrend', t.noTrendBecause, config);
  else why = label(shared, 'trend', t.improving ? 'improving' : 'not-improving');
  return { instrument: name, text, why, improving: t.improving };
}

/** The values every card of one call shares (computed once per call; see CardRenderer). */
export function baseView(facts: PatientFacts, config: PathwayConfig, shared: SharedTemplates): View {
  const main = facts.mainHipCondition;
  const episodeCondition = facts.hipConditions.find((c) => c.onset?.getTime() === facts.episodeStart?.getTime()) ?? main;
  const riskFactors = facts.giRiskFactors.map((r) => {
    const name = label(shared, 'giRisk', r.kind, config);
    let detail: string;
    if (r.kind === 'age') detail = facts.age !== undefined ? `age ${facts.age}` : '';
    else detail = r.entry?.display ?? '';
    return { label: name, detail, text: detail !== '' ? `${name} (${detail})` : name };
  });
  const contraindications = facts.duloxetineContraindications.map((c) => {
    const name = label(shared, 'duloxetineContraindication', c.kind, config);
    const detail =
      c.egfr !== undefined
        ? `${round(c.egfr.value ?? 0)} on ${c.egfr.date ? isoDay(c.egfr.date) : 'an unknown date'}`
        : (c.entry?.display ?? '');
    return { label: name, detail, text: detail !== '' ? `${name} (${detail})` : name };
  });
  const since = (d: Date | undefined): string | undefined => (d !== undefined ? readableDuration(d, facts.now) : undefined);
  // The hip analgesics the patient is on, named beside (never as) conservative care.
  const analgesicsOn = facts.currentHipAnalgesics.map((m) => m.display);
  const promViews = facts.proms.map((t) => promView(t, shared, config));
  const painScores = facts.proms.filter((t) => t.scale === '0-10' && t.latest !== undefined);
  const latestPain = painScores
    .map((t) => t.latest as NonNullable<PromTrend['latest']>)
    .sort((a, b) => b.date.getTime() - a.date.getTime())[0];
  const base: View = {
    pathway: shared.pathway,
    analgesicsOnText: andList(analgesicsOn),
    today: isoDay(facts.now),
    age: facts.age,
    episode:
      facts.episodeStart !== undefined && episodeCondition !== undefined
        ? { condition: episodeCondition.display, start: isoDay(facts.episodeStart), duration: since(facts.episodeStart) }
        : undefined,
    // Which evidence fits this patient: overuse injury, hip osteoarthritis, or non-arthritic hip pain.
    hasOveruseInjury: facts.overuseInjuries.length > 0,
    hasOsteoarthritis: facts.hipOsteoarthritis.length > 0,
    nonArthritic: facts.hipOsteoarthritis.length === 0 && facts.overuseInjuries.length === 0,
    latestPain:
      latestPain !== undefined ? { value: round(latestPain.value), date: isoDay(latestPain.date) } : undefined,
    mainCondition: main !== undefined ? present(main) : undefined,
    hipConditions: facts.hipConditions.map((c) => present(c)),
    // Hip OA known only from an imaging report's conclusion (no OA Condition): cards name the report.
    imagingOsteoarthritis: facts.hipOsteoarthritis.filter((d) => 'report' in d).map((d) => present(d)),
    therapy:
      facts.therapyStart !== undefined
        ? {
            start: isoDay(facts.therapyStart),
            duration: since(facts.therapyStart),
            count: facts.exerciseTherapy.length,
            first: present(facts.exerciseTherapy.find((e) => e.date?.getTime() === facts.therapyStart?.getTime())),
          }
        : undefined,
    proms: promViews,
    // The outcome measures in one line: "HOOS JR 55/100 (2026-09-01) → 58/100 (2026-11-20), less than the ...".
    outcomesText:
      promViews.length > 0
        ? promViews.map((p) => `${String(p['text'])}, ${String(p['why'])}`).join('; ')
        : label(shared, 'noTrend', 'none-on-record'),
    onAntithrombotic: facts.giRiskFactors.some((r) => r.kind === 'antithrombotic'),
    latestProm:
      facts.latestProm !== undefined
        ? {
            instrument: label(shared, 'instruments', facts.latestProm.instrument),
            value: round(facts.latestProm.value),
            date: isoDay(facts.latestProm.date),
            unit: facts.proms.find((t) => t.instrument === facts.latestProm?.instrument)?.scale === '0-10' ? '/10' : '/100',
            ago: since(facts.latestProm.date),
          }
        : undefined,
    improving: facts.improving,
    nsaids: facts.current.nsaid.map((m) => present(m)),
    acetaminophen: facts.current.acetaminophen.map((m) => present(m)),
    riskFactors,
    contraindications,
    liverDisease: facts.liverDisease.length > 0,
    acetaminophenMaxDailyG: facts.acetaminophenMaxDailyMg / 1000,
    config,
  };
  return withListTexts(base);
}

/** The names `derived` and `diagnosisFlags` add to a topic's view (for the start-up placeholder check). */
export const DERIVED_KEYS: Readonly<Partial<Record<TopicCode, readonly string[]>>> = {
  'overuse-early-care': ['injuryDuration'],
  'nsaid-gastroprotection': ['ppiSuggested'],
  'avoid-opioids': ['tramadolOrdered'],
  'hip-preservation-referral': ['goodSurgicalOutcomes'],
  'advanced-imaging-for-surgical-planning': ['goodSurgicalOutcomes'],
};

/** Values the card layer derives from a finding's evidence (never new facts: only how to word them). */
function derived(finding: Finding, now: Date): View {
  if (finding.topic === 'overuse-early-care') {
    const onset = finding.evidence.injury.onset;
    return onset !== undefined ? { injuryDuration: readableDuration(onset, now) } : {};
  }
  // nsaid-gastroprotection: pantoprazole rather than omeprazole with clopidogrel (docs/clinical-spec.md §3).
  if (finding.topic === 'nsaid-gastroprotection') {
    return { ppiSuggested: finding.evidence.clopidogrel.length > 0 ? 'pantoprazole 40 mg' : 'omeprazole 20 mg' };
  }
  // avoid-opioids: the source says "opioids (including tramadol)"; name tramadol only when tramadol is ordered.
  if (finding.topic === 'avoid-opioids') {
    const tramadolOrdered = finding.evidence.orders.some((o: MedicationEntry) =>
      o.ingredients.some((i) => i.name.toLowerCase().includes('tramadol')),
    );
    return { tramadolOrdered };
  }
  return {};
}

/** hip-preservation-referral: the source gives "good surgical outcomes" for FAI, labral and gluteus medius tears only. */
const GOOD_OUTCOME_SETS: readonly string[] = [VS.fai, VS.labralTear, VS.gluteusMediusTear];
function diagnosisFlags(finding: Finding): View {
  if (finding.topic !== 'hip-preservation-referral' && finding.topic !== 'advanced-imaging-for-surgical-planning') return {};
  const goodSurgicalOutcomes = finding.evidence.diagnoses.some((d) => GOOD_OUTCOME_SETS.some((set) => d.sets.has(set)));
  return { goodSurgicalOutcomes };
}

/** A card's values: its finding's evidence, as a layer on the ones every card of the call shares. */
export function buildView(base: View, finding: Finding, now: Date): LayeredView {
  const evidence = { ...(present(finding.evidence) as View), ...derived(finding, now), ...diagnosisFlags(finding) };
  // A rule's evidence adds topic-specific values; it must not silently replace a shared one.
  const clash = Object.keys(evidence).filter((k) => k in base);
  if (clash.length > 0) throw new Error(`${finding.topic}: evidence ${clash.join(', ')} would replace shared view values`);
  return new LayeredView(withListTexts(evidence), base);
}
