import {
  ADVANCED_IMAGING_SETS,
  HIP_PRESERVATION_SETS,
  inAny,
  STRUCTURAL_SETS,
  SURGICAL_PLANNING_SETS,
  VS,
} from '../value-set-ids.js';
import type { ConditionEntry, EventEntry, PatientRecord } from '../../record/types.js';
import type { Diagnosis, ReportDiagnosis } from './types.js';

const REPORT_EXCLUDED = new Set(['cancelled', 'entered-in-error']);

/** Hip or pelvis imaging reports that count (any status but cancelled or entered-in-error). */
export function imagingReports(record: PatientRecord): EventEntry[] {
  return record.events.filter(
    (e) =>
      e.resourceType === 'DiagnosticReport' &&
      !REPORT_EXCLUDED.has(e.status) &&
      (e.sets.has(VS.radiograph) || inAny(e.sets, ADVANCED_IMAGING_SETS)),
  );
}

/** docs/clinical-spec.md §2 structural diagnosis, as an active Condition: OA, FAI, labral tear, dysplasia, gluteus medius tear. */
export function structuralConditions(hipConditions: readonly ConditionEntry[]): ConditionEntry[] {
  return hipConditions.filter((c) => inAny(c.sets, STRUCTURAL_SETS));
}

/** docs/clinical-spec.md §2 structural diagnosis, as a `conclusionCode` of a hip/pelvis imaging report. */
export function structuralReports(record: PatientRecord): EventEntry[] {
  return imagingReports(record).filter((e) => inAny(e.conclusionSets, STRUCTURAL_SETS));
}

function reportDiagnoses(reports: readonly EventEntry[]): ReportDiagnosis[] {
  return reports.flatMap((report) =>
    report.conclusionConcepts
      .filter((c) => inAny(c.sets, STRUCTURAL_SETS))
      .map((c) => {
        const d: ReportDiagnosis = {
          ref: report.ref,
          keys: report.keys,
          sets: c.sets,
          display: `${c.display} on ${report.display}`,
          report,
        };
        if (report.date !== undefined) d.date = report.date;
        return d;
      }),
  );
}

/**
 * The diagnoses of some value sets, per set: the problem list decides once it names the diagnosis at all (an
 * active Condition counts; a resolved or refuted one overrides an older report), else the imaging reports.
 */
function diagnosesIn(
  sets: readonly string[],
  record: PatientRecord,
  hipConditions: readonly ConditionEntry[],
  reports: readonly ReportDiagnosis[],
): Diagnosis[] {
  const out: Diagnosis[] = [];
  for (const set of sets) {
    const named = record.conditions.some((c) => !c.enteredInError && c.sets.has(set));
    const found: readonly Diagnosis[] = named
      ? hipConditions.filter((c) => c.sets.has(set))
      : reports.filter((d) => d.sets.has(set));
    for (const d of found) if (!out.includes(d)) out.push(d);
  }
  return out;
}

/** Hip OA; FAI, labral tear or dysplasia (surgical planning); and those with gluteus medius tear (hip preservation). */
export function diagnoses(
  record: PatientRecord,
  hipConditions: readonly ConditionEntry[],
  reports: readonly EventEntry[],
): { hipOsteoarthritis: Diagnosis[]; surgicalPlanning: Diagnosis[]; hipPreservation: Diagnosis[] } {
  const fromReports = reportDiagnoses(reports);
  return {
    hipOsteoarthritis: diagnosesIn([VS.hipOsteoarthritis], record, hipConditions, fromReports),
    surgicalPlanning: diagnosesIn(SURGICAL_PLANNING_SETS, record, hipConditions, fromReports),
    hipPreservation: diagnosesIn(HIP_PRESERVATION_SETS, record, hipConditions, fromReports),
  };
}
