import { ALL_TOPICS, PATIENT_VIEW_TOPICS, type TopicCode } from '../../src/pathway/topics.js';
import type { PatientOutcome } from './evaluate-patient.js';

/**
 * The alert-burden figures of a population: how many patients were read, excluded, dormant or in an active hip
 * episode; per topic the patients whose chart would show its card; and cards per patient as a histogram. Counts
 * only, so that shards computed on different machines add up (`--merge`).
 */
export interface BurdenFigures {
  format: 'hip-pain-cds/burden';
  version: 1;
  asOf: string;
  pathwayVersion: string;
  /** Which part of the population these figures cover ("1/1" for all). */
  shards: string[];
  patients: {
    read: number;
    /** Files or patients that could not be read or had no Patient. */
    unreadable: number;
    excluded: number;
    withHipCondition: number;
    dormant: number;
    activeEpisode: number;
    withCards: number;
  };
  /** Per topic: patients whose chart shows its card (one card per topic per chart). */
  topics: Record<TopicCode, number>;
  /** Patients by number of cards: index = cards, value = patients (all patients read). */
  cardsPerPatient: number[];
  /** The same, for the patients with an active hip episode only. */
  cardsPerActivePatient: number[];
  /** Patients with cards but no active episode (should be none but the medication-safety card). */
  cardsOutsideEpisode: number;
  cards: number;
}

export function emptyFigures(asOf: string, pathwayVersion: string, shard: string): BurdenFigures {
  return {
    format: 'hip-pain-cds/burden',
    version: 1,
    asOf,
    pathwayVersion,
    shards: [shard],
    patients: { read: 0, unreadable: 0, excluded: 0, withHipCondition: 0, dormant: 0, activeEpisode: 0, withCards: 0 },
    topics: Object.fromEntries(ALL_TOPICS.map((t) => [t, 0])) as Record<TopicCode, number>,
    cardsPerPatient: [],
    cardsPerActivePatient: [],
    cardsOutsideEpisode: 0,
    cards: 0,
  };
}

function bump(histogram: number[], at: number, by = 1): void {
  while (histogram.length <= at) histogram.push(0);
  histogram[at] = (histogram[at] ?? 0) + by;
}

export function addOutcome(f: BurdenFigures, o: PatientOutcome | undefined): void {
  if (o === undefined) {
    f.patients.unreadable++;
    return;
  }
  f.patients.read++;
  if (o.excluded) f.patients.excluded++;
  if (o.hipCondition && !o.excluded) {
    f.patients.withHipCondition++;
    if (o.activeEpisode) f.patients.activeEpisode++;
    else f.patients.dormant++;
  }
  if (o.topics.length > 0) f.patients.withCards++;
  if (o.topics.length > 0 && !o.activeEpisode) f.cardsOutsideEpisode++;
  for (const t of o.topics) f.topics[t]++;
  f.cards += o.topics.length;
  bump(f.cardsPerPatient, o.topics.length);
  if (o.activeEpisode) bump(f.cardsPerActivePatient, o.topics.length);
}

/** Adds shard figures together (same as-of and pathway version; shards must not repeat). */
export function mergeFigures(parts: readonly BurdenFigures[]): BurdenFigures {
  const first = parts[0];
  if (first === undefined) throw new Error('nothing to merge');
  const out = emptyFigures(first.asOf, first.pathwayVersion, '');
  out.shards = [];
  for (const p of parts) {
    // Figures files come from disk (other runs, other versions): their header is checked whatever the type says.
    const header: { format: string; version: number } = p;
    if (header.format !== 'hip-pain-cds/burden' || header.version !== 1)
      throw new Error('not a burden figures file (format hip-pain-cds/burden v1)');
    if (p.asOf !== first.asOf || p.pathwayVersion !== first.pathwayVersion)
      throw new Error(
        `cannot merge figures of different as-of dates or pathway versions (${p.asOf} v${p.pathwayVersion} vs ${first.asOf} v${first.pathwayVersion})`,
      );
    for (const s of p.shards) {
      if (out.shards.includes(s)) throw new Error(`shard ${s} is given twice`);
      out.shards.push(s);
    }
    for (const k of Object.keys(out.patients) as (keyof BurdenFigures['patients'])[]) out.patients[k] += p.patients[k];
    const topics: Partial<Record<TopicCode, number>> = p.topics; // a file from before a topic was added lacks it
    for (const t of ALL_TOPICS) out.topics[t] += topics[t] ?? 0;
    p.cardsPerPatient.forEach((n, i) => {
      bump(out.cardsPerPatient, i, n);
    });
    p.cardsPerActivePatient.forEach((n, i) => {
      bump(out.cardsPerActivePatient, i, n);
    });
    out.cardsOutsideEpisode += p.cardsOutsideEpisode;
    out.cards += p.cards;
  }
  out.shards.sort();
  return out;
}

/** Derived rates for the report: per topic, patients per 1,000 read and share of active-episode patients. */
export function topicRates(f: BurdenFigures): { topic: TopicCode; patients: number; per1000: number; ofActive: number }[] {
  return PATIENT_VIEW_TOPICS.map((topic) => ({
    topic,
    patients: f.topics[topic],
    per1000: f.patients.read > 0 ? (1000 * f.topics[topic]) / f.patients.read : 0,
    ofActive: f.patients.activeEpisode > 0 ? f.topics[topic] / f.patients.activeEpisode : 0,
  }));
}

export function meanCardsPerActivePatient(f: BurdenFigures): number {
  const n = f.cardsPerActivePatient.reduce((a, b) => a + b, 0);
  const cards = f.cardsPerActivePatient.reduce((a, b, i) => a + b * i, 0);
  return n > 0 ? cards / n : 0;
}
