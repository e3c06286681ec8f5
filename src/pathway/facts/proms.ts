import type { PathwayConfig } from '../config.js';
import { weeksBefore } from '../time.js';
import { VS } from '../value-set-ids.js';
import type { ObservationEntry, PatientRecord } from '../../record/types.js';
import { within } from './dates.js';
import type { PromPoint, PromTrend } from './types.js';

interface Scored extends ObservationEntry {
  value: number;
  date: Date;
  instrument: NonNullable<ObservationEntry['instrument']>;
}

/** docs/clinical-spec.md §2 outcome measure (PROM): hip PROM and 0-10 pain Observations with a value and a date up to now. */
export function promObservations(record: PatientRecord): Scored[] {
  return record.observations.filter(
    (o): o is Scored =>
      o.sets.has(VS.prom) &&
      o.instrument !== undefined &&
      o.value !== undefined &&
      o.date !== undefined &&
      o.date.getTime() <= record.now.getTime(),
  );
}

function trendOf(sorted: readonly Scored[], anchor: Date | undefined, recentSince: Date, config: PathwayConfig): PromTrend {
  const first = sorted[0] as Scored;
  const latestEntry = sorted[sorted.length - 1] as Scored;
  const point = (o: Scored): PromPoint => ({ value: o.value, date: o.date });
  // Baseline: the last value on or before the anchor (therapy start, else episode start), else the earliest after it.
  let baselineEntry: Scored | undefined;
  if (anchor !== undefined) for (const o of sorted) if (o.date.getTime() <= anchor.getTime()) baselineEntry = o;
  baselineEntry ??= first;
  const { instrument, scale, direction } = first.instrument;
  const trend: PromTrend = { instrument, scale, direction, improving: false, latest: point(latestEntry) };
  if (baselineEntry === latestEntry) {
    // Nothing after the anchor to compare with: every value predates therapy (or the episode).
    const allBefore = anchor !== undefined && sorted.length > 1 && latestEntry.date.getTime() <= anchor.getTime();
    trend.noTrendBecause = allBefore ? 'none-since-start' : 'single-value';
    return trend;
  }
  trend.baseline = point(baselineEntry);
  if (!within(latestEntry.date, recentSince)) {
    trend.noTrendBecause = 'latest-too-old';
    return trend;
  }
  const delta = latestEntry.value - baselineEntry.value;
  trend.improvement = direction === 'higher-is-better' ? delta : -delta;
  const mic = scale === '0-10' ? config.minimalImportantChange.scale0to10 : config.minimalImportantChange.scale0to100;
  trend.improving = trend.improvement >= mic;
  return trend;
}

/**
 * docs/clinical-spec.md §2 improving, per instrument: the latest value (within promRecentWeeks) against the
 * baseline (the last value on or before the anchor, else the earliest after it), by the minimal important change.
 */
export function promTrends(
  observations: readonly ObservationEntry[],
  anchor: Date | undefined,
  now: Date,
  config: PathwayConfig,
): PromTrend[] {
  const byInstrument = new Map<string, Scored[]>();
  for (const o of observations) {
    if (o.instrument === undefined || o.value === undefined || o.date === undefined || o.date.getTime() > now.getTime()) continue;
    const list = byInstrument.get(o.instrument.instrument) ?? [];
    list.push(o as Scored);
    byInstrument.set(o.instrument.instrument, list);
  }
  const recentSince = weeksBefore(now, config.promRecentWeeks);
  const trends = [...byInstrument.values()].map((list) =>
    trendOf(
      [...list].sort((a, b) => a.date.getTime() - b.date.getTime()),
      anchor,
      recentSince,
      config,
    ),
  );
  return trends.sort((a, b) => a.instrument.localeCompare(b.instrument));
}

/** docs/clinical-spec.md §2 improving: some instrument's trend reaches its minimal important change. */
export function improving(trends: readonly PromTrend[]): boolean {
  return trends.some((t) => t.improving);
}

/** The latest value of any instrument. */
export function latestProm(trends: readonly PromTrend[]): (PromPoint & { instrument: string }) | undefined {
  let latest: (PromPoint & { instrument: string }) | undefined;
  for (const t of trends)
    if (t.latest !== undefined && (latest === undefined || t.latest.date > latest.date))
      latest = { ...t.latest, instrument: t.instrument };
  return latest;
}

/** The latest 0-10 pain score within painScoreRecentWeeks (docs/clinical-spec.md §2 persistent hip pain). */
export function latestPainScore(record: PatientRecord, config: PathwayConfig): (PromPoint & { instrument: string }) | undefined {
  const since = weeksBefore(record.now, config.painScoreRecentWeeks);
  let latest: (PromPoint & { instrument: string }) | undefined;
  for (const o of promObservations(record)) {
    if (o.instrument.scale !== '0-10' || !within(o.date, since)) continue;
    if (latest === undefined || o.date > latest.date)
      latest = { value: o.value, date: o.date, instrument: o.instrument.instrument };
  }
  return latest;
}

/** docs/clinical-spec.md §2 pain that is not mild: no recent 0-10 pain score, or the latest is at least painNotMildScore. */
export function painNotMild(latest: PromPoint | undefined, config: PathwayConfig): boolean {
  return latest === undefined || latest.value >= config.painNotMildScore;
}
