import type { PathwayConfig } from './config.js';
import { adultAlive, excludedPatient } from './facts/excluded.js';
import { activeEpisode } from './facts/active-episode.js';
import { diagnoses, structuralConditions, structuralReports } from './facts/diagnoses.js';
import { acetaminophenMaxDailyMg, duloxetineContraindications, latestEgfr, liverDisease } from './facts/duloxetine.js';
import { exerciseTherapy, therapyStart } from './facts/exercise-therapy.js';
import { failedConservativeCare } from './facts/failed-conservative-care.js';
import { giRiskFactors } from './facts/gi-risk.js';
import { episodeStart, hipConditions, mainHipCondition, weeksSince } from './facts/hip-conditions.js';
import { advancedImagingOnRecord, negativeOrEquivocalRadiograph, radiographsOnRecord } from './facts/imaging.js';
import { currentHipAnalgesics, currentMedications } from './facts/medications.js';
import { earlyOveruseInjuries, overuseInjuries } from './facts/overuse.js';
import { persistentHipPain } from './facts/persistent-hip-pain.js';
import { improving, latestPainScore, latestProm, painNotMild, promTrends } from './facts/proms.js';
import { recentHipInjections, recentOrthopedicReferrals } from './facts/recent-care.js';
import type { PatientFacts } from './facts/types.js';
import { weeksBefore } from './time.js';
import { VS } from './value-set-ids.js';
import type { PatientRecord } from '../record/types.js';

export type * from './facts/types.js';
export { imagingOnRecord } from './facts/imaging.js';
export { promTrends } from './facts/proms.js';

/**
 * The facts of docs/clinical-spec.md §2, computed once per call from the indexed record: each one a small named
 * function of src/pathway/facts/, called here in the order they depend on each other. Rules read only these.
 */
export function computeFacts(record: PatientRecord, config: PathwayConfig): PatientFacts {
  const { now } = record;
  const age = record.patient.age;
  const hip = hipConditions(record);
  const start = episodeStart(hip);
  const active = activeEpisode(record, hip, config);
  const overuse = overuseInjuries(hip);
  const structural = structuralConditions(hip);
  const reports = structuralReports(record);
  const dx = diagnoses(record, hip, reports);
  const therapy = exerciseTherapy(record, hip.length > 0, start, config);
  const therapyFrom = therapyStart(therapy);
  const proms = promTrends(
    record.observations.filter((o) => o.sets.has(VS.prom)),
    therapyFrom ?? start,
    now,
    config,
  );
  const latest = latestProm(proms);
  const pain = latestPainScore(record, config);
  const base = {
    activeEpisode: active !== undefined,
    improving: improving(proms),
    painNotMild: painNotMild(pain, config),
    ...(start !== undefined ? { episodeStart: start } : {}),
  };
  const persistent = persistentHipPain(base, now, config);
  const radiographs = radiographsOnRecord(record, config);
  const advanced = advancedImagingOnRecord(record, config);
  const structuralDiagnosis = structural.length > 0 || reports.length > 0;
  const liver = liverDisease(record);
  const egfr = latestEgfr(record, config);
  const negative = negativeOrEquivocalRadiograph(radiographs, structuralDiagnosis);
  const main = mainHipCondition(hip);
  const episodeWeeks = weeksSince(start, now);
  const therapyWeeks = weeksSince(therapyFrom, now);

  return {
    now,
    adultAlive: adultAlive(record, config),
    hipConditions: hip,
    ...base,
    overuseInjuries: overuse,
    earlyOveruseInjuries: earlyOveruseInjuries(overuse, now, config),
    hipOsteoarthritis: dx.hipOsteoarthritis,
    surgicalPlanningDiagnoses: dx.surgicalPlanning,
    hipPreservationDiagnoses: dx.hipPreservation,
    structuralConditions: structural,
    structuralReports: reports,
    structuralDiagnosis,
    exerciseTherapy: therapy,
    proms,
    promWithinRecentWindow: latest !== undefined && latest.date.getTime() >= weeksBefore(now, config.promRecentWeeks).getTime(),
    persistentHipPain: persistent,
    currentHipAnalgesics: currentHipAnalgesics(record),
    failedConservativeCare: failedConservativeCare(
      { persistentHipPain: persistent, ...(therapyFrom !== undefined ? { therapyStart: therapyFrom } : {}) },
      now,
      config,
    ),
    radiographs,
    radiographOnRecord: radiographs.length > 0,
    advancedImaging: advanced,
    advancedImagingOnRecord: advanced.length > 0,
    current: currentMedications(record),
    giRiskFactors: giRiskFactors(record, age, config),
    liverDisease: liver,
    opioidUseDisorder: record.conditions.filter((c) => c.active && c.sets.has(VS.opioidUseDisorder)),
    duloxetineContraindications: duloxetineContraindications(record, egfr, liver, config),
    recentHipInjections: recentHipInjections(record, config),
    recentOrthopedicReferrals: recentOrthopedicReferrals(record, config),
    acetaminophenMaxDailyMg: acetaminophenMaxDailyMg(liver, config),
    cannotCompute: record.cannotCompute,
    ...optional({
      age,
      excluded: excludedPatient(record, config),
      activeEpisodeReason: active,
      mainHipCondition: main,
      episodeWeeks,
      therapyStart: therapyFrom,
      therapyWeeks,
      latestProm: latest,
      latestPainScore: pain,
      negativeOrEquivocalRadiograph: negative,
      latestEgfr: egfr,
    }),
  };
}

/** Only the defined values (the facts type has optional properties, never `undefined` ones). */
function optional<T extends Record<string, unknown>>(values: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}
