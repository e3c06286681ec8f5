import type { PathwayConfig } from '../config.js';
import { monthsBefore } from '../time.js';
import { ADVANCED_IMAGING_SETS, inAny, VS } from '../value-set-ids.js';
import type { EventEntry, PatientRecord } from '../../record/types.js';
import { latestOf, within } from './dates.js';

const REPORT_EXCLUDED = new Set(['cancelled', 'entered-in-error']);
/** Report statuses with a result (docs/clinical-spec.md §2: a `registered` report has none yet). */
const REPORT_WITH_RESULT = new Set(['preliminary', 'final', 'amended', 'corrected', 'appended']);
const ORDER_ON_RECORD = new Set(['draft', 'active', 'on-hold', 'completed']);

/** "Done or ordered": the statuses that put an imaging event on record (docs/clinical-spec.md §2 radiograph on record). */
export function imagingOnRecord(e: EventEntry): boolean {
  if (e.draft) return !REPORT_EXCLUDED.has(e.status) && e.status !== 'revoked';
  switch (e.resourceType) {
    case 'DiagnosticReport':
    case 'ImagingStudy':
      return !REPORT_EXCLUDED.has(e.status);
    case 'Procedure':
      return e.status === 'completed';
    case 'ServiceRequest':
      return ORDER_ON_RECORD.has(e.status);
  }
}

/** Imaging of the given sets on record within lookbackMonths, done or ordered; the drafts of this call count. */
function imagingInWindow(record: PatientRecord, sets: readonly string[], config: PathwayConfig): EventEntry[] {
  const lookback = monthsBefore(record.now, config.lookbackMonths);
  return [
    ...record.events.filter((e) => inAny(e.sets, sets) && imagingOnRecord(e) && within(e.date, lookback)),
    ...record.drafts.filter(
      (d): d is EventEntry => d.resourceType !== 'MedicationRequest' && inAny(d.sets, sets) && imagingOnRecord(d),
    ),
  ];
}

/** docs/clinical-spec.md §2 radiograph on record: a hip or pelvis plain radiograph within 12 months, done or ordered. */
export function radiographsOnRecord(record: PatientRecord, config: PathwayConfig): EventEntry[] {
  return imagingInWindow(record, [VS.radiograph], config);
}

/**
 * docs/clinical-spec.md §2 advanced imaging on record: MRI, MR or CT arthrogram of the hip or pelvis within 12
 * months, done or ordered (generic codes count for the hip by site, reason or text: see src/record/event.ts).
 */
export function advancedImagingOnRecord(record: PatientRecord, config: PathwayConfig): EventEntry[] {
  return imagingInWindow(record, ADVANCED_IMAGING_SETS, config);
}

/**
 * docs/clinical-spec.md §2 negative or equivocal radiograph: the latest radiograph report with a result whose
 * conclusions are only "normal" or bare "abnormal" codes (or none), while there is no structural diagnosis.
 */
export function negativeOrEquivocalRadiograph(
  radiographs: readonly EventEntry[],
  structuralDiagnosis: boolean,
): EventEntry | undefined {
  if (structuralDiagnosis) return undefined;
  return latestOf(
    radiographs.filter(
      (e) =>
        e.resourceType === 'DiagnosticReport' &&
        REPORT_WITH_RESULT.has(e.status) &&
        e.conclusions.every((c) => c.has(VS.normalConclusion) || c.has(VS.nonspecificAbnormalConclusion)),
    ),
  );
}
