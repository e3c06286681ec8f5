import type { PathwayConfig } from '../config.js';
import { monthsBefore } from '../time.js';
import { VS } from '../value-set-ids.js';
import type { ConditionEntry, ObservationEntry, PatientRecord } from '../../record/types.js';
import { notAfter, within } from './dates.js';
import { currentOf, hasClass } from './medications.js';
import type { DuloxetineContraindication } from './types.js';

/** Serotonergic drugs duloxetine must not simply be added to: tramadol, an SSRI, another SNRI. */
export const SEROTONERGIC_SETS: readonly string[] = [VS.tramadol, VS.ssri, VS.snri];

/** Active chronic liver disease or cirrhosis. */
export function liverDisease(record: PatientRecord): ConditionEntry[] {
  return record.conditions.filter((c) => c.active && c.sets.has(VS.liverDisease));
}

/** The latest eGFR within lookbackMonths, up to now. */
export function latestEgfr(record: PatientRecord, config: PathwayConfig): ObservationEntry | undefined {
  const since = monthsBefore(record.now, config.lookbackMonths);
  return record.observations
    .filter((o) => o.sets.has(VS.egfr) && o.value !== undefined && within(o.date, since) && notAfter(o.date, record.now))
    .sort((a, b) => (b.date?.getTime() ?? 0) - (a.date?.getTime() ?? 0))[0];
}

/**
 * docs/clinical-spec.md §2 duloxetine contraindicated: a current MAOI (linezolid included); current tramadol, an
 * SSRI or another SNRI; latest eGFR within 12 months below duloxetineMinEgfr; chronic liver disease or cirrhosis.
 */
export function duloxetineContraindications(
  record: PatientRecord,
  egfr: ObservationEntry | undefined,
  liver: readonly ConditionEntry[],
  config: PathwayConfig,
): DuloxetineContraindication[] {
  const serotonergic = record.medications.filter(
    (m) => m.current && !m.classes.has(VS.duloxetine) && SEROTONERGIC_SETS.some((s) => hasClass(m, s)),
  );
  return [
    ...currentOf(record, VS.maoi).map((m) => ({ kind: 'maoi' as const, entry: m })),
    ...serotonergic.map((m) => ({ kind: 'serotonergic' as const, entry: m })),
    ...(egfr?.value !== undefined && egfr.value < config.duloxetineMinEgfr ? [{ kind: 'low-egfr' as const, egfr }] : []),
    ...liver.map((c) => ({ kind: 'liver-disease' as const, entry: c })),
  ];
}

/** docs/clinical-spec.md §3 acetaminophen limits: maxDailyMg, or maxDailyMgLiverDisease with chronic liver disease. */
export function acetaminophenMaxDailyMg(liver: readonly ConditionEntry[], config: PathwayConfig): number {
  return liver.length > 0 ? config.acetaminophen.maxDailyMgLiverDisease : config.acetaminophen.maxDailyMg;
}
