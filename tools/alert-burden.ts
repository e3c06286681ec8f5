import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { projectPath } from '../src/data-files.js';
import type { Pathway } from '../src/pathway/run.js';
import { PATIENT_VIEW_TOPICS, type TopicCode } from '../src/pathway/topics.js';
import { asOf, chartAt, resourceDate } from './as-of.js';
import { readPatientFile } from './fixtures/patient-file.js';

/**
 * The alert burden of patient-view on real-world-like records (fhir-fixtures/synthea): each chart opened the day
 * after its latest encounter, as if live (tools/as-of.ts). docs/pathway.md shows it; tests/pathway/synthea.test.ts
 * holds it to its targets.
 */
export interface ChartBurden {
  /** The file name without its id: "Renea_Quigley". */
  name: string;
  asOf: Date;
  hipCondition: boolean;
  activeEpisode: boolean;
  excluded: boolean;
  topics: TopicCode[];
  /** Contradicting pairs the rules produced (before the guard drops one): must be none. */
  contradictions: string[];
}

export const SYNTHEA_DIR = projectPath('fhir-fixtures', 'synthea');

export function chartName(file: string): string {
  return basename(file, '.json').split('_').slice(0, 2).join('_');
}

export function alertBurden(pathway: Pathway, dir = SYNTHEA_DIR): ChartBurden[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const file = readPatientFile(join(dir, f), new Date(), 'patient-view');
      const now = asOf('last-encounter', file.entries);
      const run = pathway.run('patient-view', {
        now,
        context: { patientId: file.patientId, userId: 'Practitioner/alert-burden' },
        entries: chartAt(file.entries, now),
      });
      return {
        name: chartName(f),
        asOf: now,
        hipCondition: run.facts.hipConditions.length > 0,
        activeEpisode: run.facts.activeEpisode,
        excluded: run.facts.excluded !== undefined,
        topics: run.findings.map((x) => x.topic),
        contradictions: run.notes.filter((n) => n.includes(' dropped beside ')),
      };
    });
}

/** One chart opening of a hip record's trajectory: the day after an encounter in the first months of the episode. */
export interface Opening {
  name: string;
  asOf: Date;
  activeEpisode: boolean;
  topics: TopicCode[];
  contradictions: string[];
}

/**
 * Every hip record seen as if live through its episode: opened the day after each of its encounters from the
 * first hip condition's onset to `months` later. Shows what the active-episode rules do on real-looking charts
 * (at the last encounter almost every Synthea chart is dormant).
 */
export function episodeTrajectories(pathway: Pathway, months = 24, dir = SYNTHEA_DIR): Opening[] {
  const out: Opening[] = [];
  for (const f of readdirSync(dir)
    .filter((x) => x.endsWith('.json'))
    .sort()) {
    const file = readPatientFile(join(dir, f), new Date(), 'patient-view');
    const context = { patientId: file.patientId, userId: 'Practitioner/alert-burden' };
    const last = asOf('last-encounter', file.entries);
    const facts = pathway.run('patient-view', { now: last, context, entries: file.entries }).facts;
    const start = facts.episodeStart;
    if (facts.hipConditions.length === 0 || start === undefined) continue;
    const end = new Date(start.getTime());
    end.setUTCMonth(end.getUTCMonth() + months);
    const days = new Set<string>();
    for (const e of file.entries) {
      if (e.resource.resourceType !== 'Encounter') continue;
      const d = resourceDate(e.resource);
      if (d !== undefined && d.getTime() >= start.getTime() && d.getTime() <= end.getTime())
        days.add(d.toISOString().slice(0, 10));
    }
    for (const day of [...days].sort()) {
      const now = asOf(day, file.entries);
      now.setUTCDate(now.getUTCDate() + 1);
      const run = pathway.run('patient-view', { now, context, entries: chartAt(file.entries, now) });
      if (run.facts.excluded !== undefined) continue;
      out.push({
        name: chartName(f),
        asOf: now,
        activeEpisode: run.facts.activeEpisode,
        topics: run.findings.map((x) => x.topic),
        contradictions: run.notes.filter((n) => n.includes(' dropped beside ')),
      });
    }
  }
  return out;
}

/** Mean cards per opening with an active episode. */
export function meanCardsPerActiveOpening(openings: readonly Opening[]): number {
  const active = openings.filter((o) => o.activeEpisode);
  return active.length === 0 ? 0 : active.reduce((s, o) => s + o.topics.length, 0) / active.length;
}

/** Mean patient-view cards per chart of hip patients with an active episode (not excluded). */
export function meanCardsPerActiveHipPatient(charts: readonly ChartBurden[]): number {
  const active = charts.filter((c) => c.hipCondition && c.activeEpisode && !c.excluded);
  return active.length === 0 ? 0 : active.reduce((s, c) => s + c.topics.length, 0) / active.length;
}

/** The markdown section of docs/pathway.md. */
export function alertBurdenSection(charts: readonly ChartBurden[], openings: readonly Opening[]): string[] {
  const status = (c: ChartBurden): string => {
    if (c.excluded) return 'excluded';
    if (!c.hipCondition) return 'no hip condition';
    return c.activeEpisode ? 'active episode' : 'dormant';
  };
  const out = [
    '## Alert burden on the Synthea records',
    '',
    'Each record of `fhir-fixtures/synthea` evaluated on patient-view as if the chart were opened the day after its latest',
    'encounter (`npm run evaluate -- <file> --as-of last-encounter`). Targets: at most 2.5 cards per hip patient with an',
    'active episode on average, none on charts without a hip condition, no contradictory pair.',
    '',
    '| record | as of | chart | cards | topics |',
    '|---|---|---|---|---|',
    ...charts.map(
      (c) =>
        `| ${c.name} | ${c.asOf.toISOString().slice(0, 10)} | ${status(c)} | ${c.topics.length} | ${c.topics.join(', ') || '-'} |`,
    ),
    '',
  ];
  const active = charts.filter((c) => c.hipCondition && c.activeEpisode && !c.excluded);
  const total = charts.reduce((s, c) => s + c.topics.length, 0);
  out.push(
    `${charts.length} records, ${total} cards; ${active.length} hip patients with an active episode: ${meanCardsPerActiveHipPatient(charts).toFixed(2)} cards per chart on average;`,
    `${charts.filter((c) => !c.hipCondition && c.topics.length > 0).length} charts without a hip condition have a card.`,
    '',
    '| topic | cards |',
    '|---|---|',
    ...PATIENT_VIEW_TOPICS.map((t) => `| \`${t}\` | ${charts.filter((c) => c.topics.includes(t)).length} |`),
    '',
  );
  const activeOpenings = openings.filter((o) => o.activeEpisode);
  out.push(
    '### Through the episode',
    '',
    "The same hip records opened the day after each of their encounters in the 24 months after the first hip condition's",
    'onset (excluded moments left out): what a clinician would have seen while the episode was live.',
    '',
    '| record | openings | with an active episode | cards per active opening (mean, max) | topics (openings) |',
    '|---|---|---|---|---|',
  );
  for (const name of [...new Set(openings.map((o) => o.name))]) {
    const mine = openings.filter((o) => o.name === name);
    const act = mine.filter((o) => o.activeEpisode);
    const counts = new Map<string, number>();
    for (const o of mine) for (const t of o.topics) counts.set(t, (counts.get(t) ?? 0) + 1);
    const max = Math.max(0, ...act.map((o) => o.topics.length));
    out.push(
      `| ${name} | ${mine.length} | ${act.length} | ${meanCardsPerActiveOpening(mine).toFixed(2)}, ${max} | ${[...counts].map(([t, n]) => `${t} (${n})`).join(', ') || '-'} |`,
    );
  }
  out.push(
    '',
    `${openings.length} openings, ${activeOpenings.length} with an active episode: ${meanCardsPerActiveOpening(openings).toFixed(2)} cards per active opening on average; ${openings.filter((o) => !o.activeEpisode && o.topics.some((t) => t !== 'nsaid-gastroprotection')).length} dormant openings with a pathway card; ${openings.reduce((s, o) => s + o.contradictions.length, 0)} contradictory pairs.`,
    '',
  );
  return out;
}
