import type { PathwayConfig } from './config.js';
import { daysBefore, monthsBefore, weeksBefore, wholeWeeksBetween } from './time.js';
import {
  ADVANCED_IMAGING_SETS,
  HIP_ANALGESIC_CLASSES,
  HIP_CONDITION_SETS,
  HIP_PRESERVATION_SETS,
  inAny,
  OVERUSE_SETS,
  STRUCTURAL_SETS,
  SURGICAL_PLANNING_SETS,
  VS,
} from './value-set-ids.js';
import type { ConditionEntry, EventEntry, MedicationEntry, ObservationEntry, PatientRecord } from '../record/types.js';

/**
 * The facts of PATHWAY.md §2, computed once per call from the indexed record. Rules read only these.
 * Each fact keeps the entries it rests on, so a card can say why with the patient's own data.
 */

export interface PromPoint {
  value: number;
  date: Date;
}

export interface PromTrend {
  instrument: string;
  scale: '0-10' | '0-100';
  direction: 'higher-is-better' | 'lower-is-better';
  baseline?: PromPoint;
  latest?: PromPoint;
  /** Points better than baseline (positive = better), when there is a trend. */
  improvement?: number;
  improving: boolean;
  /** Why this instrument shows no trend, when it does not. */
  noTrendBecause?: 'single-value' | 'none-since-start' | 'latest-too-old';
}

export type ExclusionReason = 'paediatric' | 'deceased' | 'hip-fracture';

export interface GiRiskFactor {
  kind: 'age' | 'peptic-ulcer' | 'gi-bleeding' | 'antithrombotic' | 'systemic-corticosteroid';
  /** The condition or medication behind it (for the card). */
  entry?: ConditionEntry | MedicationEntry;
}

export interface DuloxetineContraindication {
  kind: 'maoi' | 'low-egfr' | 'liver-disease';
  entry?: ConditionEntry | MedicationEntry;
  egfr?: ObservationEntry;
}

/** A diagnosis concluded by a hip imaging report (`conclusionCode`): used when no Condition names that diagnosis. */
export interface ReportDiagnosis {
  /** The report's reference; `keys` are the report's codes (a record entry to the card templates). */
  ref: string;
  keys: readonly string[];
  sets: ReadonlySet<string>;
  /** "Osteoarthritis of hip on XR Hip 2 views". */
  display: string;
  date?: Date;
  report: EventEntry;
}

export type Diagnosis = ConditionEntry | ReportDiagnosis;

export interface PatientFacts {
  now: Date;
  age?: number;
  excluded?: ExclusionReason;
  /** Adult and alive (acetaminophen-max-dose still applies to an adult with a hip fracture). */
  adultAlive: boolean;

  hipConditions: readonly ConditionEntry[];
  /** The hip condition suggestions refer to (reasonReference): the most specific, then the earliest. */
  mainHipCondition?: ConditionEntry;
  episodeStart?: Date;
  episodeWeeks?: number;
  overuseInjuries: readonly ConditionEntry[];
  /** Overuse injuries whose onset is less than overuseEarlyWeeks ago. */
  earlyOveruseInjuries: readonly ConditionEntry[];
  /**
   * Hip OA, and the diagnoses of the surgical-planning and hip-preservation topics: active Conditions, or else
   * the conclusions of hip imaging reports (PATHWAY §2 counts a report's conclusionCode as a diagnosis).
   */
  hipOsteoarthritis: readonly Diagnosis[];
  surgicalPlanningDiagnoses: readonly Diagnosis[];
  hipPreservationDiagnoses: readonly Diagnosis[];
  /** Structural diagnosis: an active structural condition, or a hip imaging report concluding one. */
  structuralConditions: readonly ConditionEntry[];
  structuralReports: readonly EventEntry[];
  structuralDiagnosis: boolean;

  exerciseTherapy: readonly EventEntry[];
  therapyStart?: Date;
  therapyWeeks?: number;

  proms: readonly PromTrend[];
  latestProm?: PromPoint & { instrument: string };
  promWithinRecentWindow: boolean;
  improving: boolean;
  persistentHipPain: boolean;

  currentHipAnalgesics: readonly MedicationEntry[];
  /** The earliest current hip analgesic started at least failedCareMonths ago, if any. */
  longstandingAnalgesic?: MedicationEntry;
  failedConservativeCare: boolean;

  /** Radiographs on record within lookbackMonths, done or ordered (drafts of this call included). */
  radiographs: readonly EventEntry[];
  radiographOnRecord: boolean;
  negativeOrEquivocalRadiograph?: EventEntry;
  advancedImaging: readonly EventEntry[];
  advancedImagingOnRecord: boolean;

  current: {
    nsaid: readonly MedicationEntry[];
    acetaminophen: readonly MedicationEntry[];
    duloxetine: readonly MedicationEntry[];
    opioid: readonly MedicationEntry[];
    ppi: readonly MedicationEntry[];
  };
  giRiskFactors: readonly GiRiskFactor[];
  liverDisease: readonly ConditionEntry[];
  /** Active opioid use disorder: its medications (medication-opioid-use-disorder-treatment) treat it, not hip pain. */
  opioidUseDisorder: readonly ConditionEntry[];
  latestEgfr?: ObservationEntry;
  duloxetineContraindications: readonly DuloxetineContraindication[];
  recentHipInjections: readonly EventEntry[];
  recentOrthopedicReferrals: readonly EventEntry[];
  /** Daily acetaminophen maximum for this patient (mg): 4 g, or 2 g with chronic liver disease. */
  acetaminophenMaxDailyMg: number;
}

const REPORT_EXCLUDED = new Set(['cancelled', 'entered-in-error']);
/** Report statuses with a result a clinician has signed. */
const REPORT_READ = new Set(['final', 'amended', 'corrected', 'appended']);
const ORDER_ON_RECORD = new Set(['draft', 'active', 'on-hold', 'completed']);
const THERAPY_ORDER = new Set(['active', 'completed']);
const THERAPY_PROCEDURE = new Set(['completed', 'in-progress']);
const REFERRAL_ORDER = new Set(['active', 'on-hold', 'completed']);

/** "Done or ordered": the statuses that put an imaging event on record (PATHWAY §2 "radiograph on record"). */
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

function therapyCounts(e: EventEntry): boolean {
  if (e.draft) return false;
  if (e.resourceType === 'Procedure') return THERAPY_PROCEDURE.has(e.status);
  if (e.resourceType === 'ServiceRequest') return THERAPY_ORDER.has(e.status);
  return false;
}

/** A referral or injection that was done, or is ordered and pending. */
function doneOrPending(e: EventEntry): boolean {
  if (e.draft) return false;
  if (e.resourceType === 'Procedure') return e.status === 'completed' || e.status === 'in-progress';
  if (e.resourceType === 'ServiceRequest') return REFERRAL_ORDER.has(e.status);
  return false;
}

function within(date: Date | undefined, since: Date): date is Date {
  return date !== undefined && date.getTime() >= since.getTime();
}

function earliest<T>(items: readonly T[], dateOf: (t: T) => Date | undefined): T | undefined {
  let best: T | undefined;
  let bestTime = Infinity;
  for (const item of items) {
    const d = dateOf(item);
    if (d !== undefined && d.getTime() < bestTime) {
      best = item;
      bestTime = d.getTime();
    }
  }
  return best;
}

function latestOf<T extends { date?: Date }>(items: readonly T[]): T | undefined {
  let best: T | undefined;
  for (const item of items)
    if (best === undefined || (item.date?.getTime() ?? -Infinity) > (best.date?.getTime() ?? -Infinity)) best = item;
  return best;
}

/** Specificity order for the condition a suggestion names as its reason. */
const MAIN_CONDITION_ORDER: readonly string[] = [
  ...STRUCTURAL_SETS, // OA, FAI, labral tear, dysplasia, gluteus medius tear
  VS.gtps,
  VS.glutealTendinopathy,
  VS.hipStrain,
  VS.hipPain,
];

export function promTrends(
  observations: readonly ObservationEntry[],
  anchor: Date | undefined,
  now: Date,
  config: PathwayConfig,
): PromTrend[] {
  const byInstrument = new Map<string, ObservationEntry[]>();
  for (const o of observations) {
    if (o.instrument === undefined || o.value === undefined || o.date === undefined || o.date.getTime() > now.getTime()) continue;
    const list = byInstrument.get(o.instrument.instrument) ?? [];
    list.push(o);
    byInstrument.set(o.instrument.instrument, list);
  }
  const recentSince = weeksBefore(now, config.promRecentWeeks);
  const trends: PromTrend[] = [];
  for (const [instrument, list] of byInstrument) {
    const sorted = [...list].sort((a, b) => (a.date as Date).getTime() - (b.date as Date).getTime());
    const first = sorted[0] as ObservationEntry;
    const info = first.instrument!;
    const point = (o: ObservationEntry): PromPoint => ({ value: o.value as number, date: o.date as Date });
    const latestEntry = sorted[sorted.length - 1] as ObservationEntry;
    // Baseline: the last value on or before the anchor (therapy start, else episode start), else the earliest after it.
    let baselineEntry: ObservationEntry | undefined;
    if (anchor !== undefined) {
      for (const o of sorted) if ((o.date as Date).getTime() <= anchor.getTime()) baselineEntry = o;
    }
    baselineEntry ??= first;
    const trend: PromTrend = {
      instrument,
      scale: info.scale,
      direction: info.direction,
      improving: false,
      latest: point(latestEntry),
    };
    if (baselineEntry === latestEntry) {
      // Nothing after the anchor to compare with: every value predates therapy (or the episode).
      const allBefore = anchor !== undefined && sorted.length > 1 && (latestEntry.date as Date).getTime() <= anchor.getTime();
      trend.noTrendBecause = allBefore ? 'none-since-start' : 'single-value';
    } else {
      trend.baseline = point(baselineEntry);
      if (!within(latestEntry.date, recentSince)) {
        trend.noTrendBecause = 'latest-too-old';
      } else {
        const delta = (latestEntry.value as number) - (baselineEntry.value as number);
        trend.improvement = info.direction === 'higher-is-better' ? delta : -delta;
        const mic = info.scale === '0-10' ? config.minimalImportantChange.scale0to10 : config.minimalImportantChange.scale0to100;
        trend.improving = trend.improvement >= mic;
      }
    }
    trends.push(trend);
  }
  return trends.sort((a, b) => a.instrument.localeCompare(b.instrument));
}

export function computeFacts(record: PatientRecord, config: PathwayConfig): PatientFacts {
  const { now } = record;
  const age = record.patient.age;
  const lookback = monthsBefore(now, config.lookbackMonths);

  const hipConditions = record.conditions.filter((c) => c.active && inAny(c.sets, HIP_CONDITION_SETS));
  const hipFracture = record.conditions.some((c) => c.active && c.sets.has(VS.hipFracture));
  let excluded: ExclusionReason | undefined;
  if (record.patient.deceased) excluded = 'deceased';
  else if (age !== undefined && age < config.adultAge) excluded = 'paediatric';
  else if (hipFracture) excluded = 'hip-fracture';

  const episodeEntry = earliest(hipConditions, (c) => c.onset);
  const episodeStart = episodeEntry?.onset;
  const episodeWeeks = episodeStart !== undefined ? wholeWeeksBetween(episodeStart, now) : undefined;
  let mainHipCondition: ConditionEntry | undefined;
  for (const set of MAIN_CONDITION_ORDER) {
    const candidates = hipConditions.filter((c) => c.sets.has(set));
    mainHipCondition = earliest(candidates, (c) => c.onset) ?? candidates[0];
    if (mainHipCondition !== undefined) break;
  }

  const overuseInjuries = hipConditions.filter((c) => inAny(c.sets, OVERUSE_SETS));
  const earlySince = weeksBefore(now, config.overuseEarlyWeeks);
  const earlyOveruseInjuries = overuseInjuries.filter((c) => within(c.onset, earlySince));
  const structuralConditions = hipConditions.filter((c) => inAny(c.sets, STRUCTURAL_SETS));
  const imagingReports = record.events.filter(
    (e) =>
      e.resourceType === 'DiagnosticReport' &&
      !REPORT_EXCLUDED.has(e.status) &&
      (e.sets.has(VS.radiograph) || inAny(e.sets, ADVANCED_IMAGING_SETS)),
  );
  const structuralReports = imagingReports.filter((e) => inAny(e.conclusionSets, STRUCTURAL_SETS));
  const structuralDiagnosis = structuralConditions.length > 0 || structuralReports.length > 0;
  const reportDiagnoses: ReportDiagnosis[] = structuralReports.flatMap((report) =>
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
  // Per diagnosis, the problem list decides once it names it at all: an active Condition counts, and a
  // resolved or refuted one (OA after a hip replacement, a ruled-out labral tear) overrides an older report.
  const diagnosesIn = (sets: readonly string[]): Diagnosis[] => {
    const out: Diagnosis[] = [];
    for (const set of sets) {
      const named = record.conditions.some((c) => !c.enteredInError && c.sets.has(set));
      const found: readonly Diagnosis[] = named
        ? hipConditions.filter((c) => c.sets.has(set))
        : reportDiagnoses.filter((d) => d.sets.has(set));
      for (const d of found) if (!out.includes(d)) out.push(d);
    }
    return out;
  };
  const hipOsteoarthritis = diagnosesIn([VS.hipOsteoarthritis]);
  const surgicalPlanningDiagnoses = diagnosesIn(SURGICAL_PLANNING_SETS);
  const hipPreservationDiagnoses = diagnosesIn(HIP_PRESERVATION_SETS);

  // Exercise therapy: dated on or after episode start minus therapyBeforeEpisodeDays.
  // Without an onset date the episode start is unknown: therapy then counts within the look-back window.
  const therapySince =
    episodeStart !== undefined
      ? daysBefore(episodeStart, config.therapyBeforeEpisodeDays)
      : hipConditions.length > 0
        ? lookback
        : undefined;
  const exerciseTherapy =
    therapySince === undefined
      ? []
      : record.events.filter(
          (e) => e.sets.has(VS.exerciseTherapy) && therapyCounts(e) && within(e.date, therapySince) && (e.date as Date) <= now,
        );
  const therapyStart = earliest(exerciseTherapy, (e) => e.date)?.date;
  const therapyWeeks = therapyStart !== undefined ? wholeWeeksBetween(therapyStart, now) : undefined;

  const proms = promTrends(
    record.observations.filter((o) => o.sets.has(VS.prom)),
    therapyStart ?? episodeStart,
    now,
    config,
  );
  const improving = proms.some((t) => t.improving);
  let latestProm: PatientFacts['latestProm'];
  for (const t of proms) {
    if (t.latest !== undefined && (latestProm === undefined || t.latest.date > latestProm.date))
      latestProm = { ...t.latest, instrument: t.instrument };
  }
  const promWithinRecentWindow = latestProm !== undefined && within(latestProm.date, weeksBefore(now, config.promRecentWeeks));

  const persistentHipPain =
    episodeStart !== undefined && episodeStart.getTime() <= weeksBefore(now, config.persistentPainWeeks).getTime() && !improving;

  const currentOf = (set: string): MedicationEntry[] => record.medications.filter((m) => m.current && m.classes.has(set));
  const current = {
    nsaid: currentOf(VS.nsaid),
    acetaminophen: currentOf(VS.acetaminophen),
    duloxetine: currentOf(VS.duloxetine),
    opioid: currentOf(VS.opioid),
    ppi: currentOf(VS.ppi),
  };
  const currentHipAnalgesics = record.medications.filter((m) => m.current && inAny(m.classes, HIP_ANALGESIC_CLASSES));
  const failedSince = monthsBefore(now, config.failedCareMonths);
  const longstandingAnalgesic = earliest(
    currentHipAnalgesics.filter((m) => m.authoredOn !== undefined && m.authoredOn.getTime() <= failedSince.getTime()),
    (m) => m.authoredOn,
  );
  const therapyLongEnough = therapyStart !== undefined && therapyStart.getTime() <= failedSince.getTime();
  const failedConservativeCare = persistentHipPain && (therapyLongEnough || longstandingAnalgesic !== undefined);

  const imagingInWindow = (sets: readonly string[]): EventEntry[] => [
    ...record.events.filter((e) => inAny(e.sets, sets) && imagingOnRecord(e) && within(e.date, lookback)),
    ...record.drafts.filter(
      (d): d is EventEntry => d.resourceType !== 'MedicationRequest' && inAny(d.sets, sets) && imagingOnRecord(d),
    ),
  ];
  const radiographs = imagingInWindow([VS.radiograph]);
  const advancedImaging = imagingInWindow(ADVANCED_IMAGING_SETS);
  // PATHWAY §2: a radiograph report whose conclusion is a "normal" code, a bare "abnormal" code, or none. A
  // report not yet read (registered, preliminary) or concluding anything else (a fracture) is not negative.
  const negativeOrEquivocalRadiograph = structuralDiagnosis
    ? undefined
    : latestOf(
        radiographs.filter(
          (e) =>
            e.resourceType === 'DiagnosticReport' &&
            REPORT_READ.has(e.status) &&
            e.conclusions.every((c) => c.has(VS.normalConclusion) || c.has(VS.nonspecificAbnormalConclusion)),
        ),
      );

  const validConditions = record.conditions.filter((c) => c.valid);
  const giRiskFactors: GiRiskFactor[] = [];
  if (age !== undefined && age >= config.giRiskAge) giRiskFactors.push({ kind: 'age' });
  for (const c of validConditions) {
    if (c.sets.has(VS.pepticUlcer)) giRiskFactors.push({ kind: 'peptic-ulcer', entry: c });
    else if (c.sets.has(VS.giBleeding)) giRiskFactors.push({ kind: 'gi-bleeding', entry: c });
  }
  for (const m of currentOf(VS.antithrombotic)) giRiskFactors.push({ kind: 'antithrombotic', entry: m });
  for (const m of currentOf(VS.systemicCorticosteroid)) giRiskFactors.push({ kind: 'systemic-corticosteroid', entry: m });

  const liverDisease = record.conditions.filter((c) => c.active && c.sets.has(VS.liverDisease));
  const opioidUseDisorder = record.conditions.filter((c) => c.active && c.sets.has(VS.opioidUseDisorder));
  const latestEgfr = record.observations
    .filter((o) => o.sets.has(VS.egfr) && o.value !== undefined && within(o.date, lookback) && (o.date as Date) <= now)
    .sort((a, b) => (b.date as Date).getTime() - (a.date as Date).getTime())[0];
  const duloxetineContraindications: DuloxetineContraindication[] = [
    ...currentOf(VS.maoi).map((m) => ({ kind: 'maoi' as const, entry: m })),
    ...(latestEgfr !== undefined && (latestEgfr.value as number) < config.duloxetineMinEgfr
      ? [{ kind: 'low-egfr' as const, egfr: latestEgfr }]
      : []),
    ...liverDisease.map((c) => ({ kind: 'liver-disease' as const, entry: c })),
  ];

  const injectionSince = monthsBefore(now, config.injectionLookbackMonths);
  const recentHipInjections = record.events.filter(
    (e) => e.sets.has(VS.hipJointInjection) && doneOrPending(e) && within(e.date, injectionSince),
  );
  const recentOrthopedicReferrals = record.events.filter(
    (e) => e.sets.has(VS.orthopedicReferral) && doneOrPending(e) && within(e.date, lookback),
  );

  const facts: PatientFacts = {
    now,
    adultAlive: !record.patient.deceased && (age === undefined || age >= config.adultAge),
    hipConditions,
    overuseInjuries,
    earlyOveruseInjuries,
    hipOsteoarthritis,
    surgicalPlanningDiagnoses,
    hipPreservationDiagnoses,
    structuralConditions,
    structuralReports,
    structuralDiagnosis,
    exerciseTherapy,
    proms,
    promWithinRecentWindow,
    improving,
    persistentHipPain,
    currentHipAnalgesics,
    failedConservativeCare,
    radiographs,
    radiographOnRecord: radiographs.length > 0,
    advancedImaging,
    advancedImagingOnRecord: advancedImaging.length > 0,
    current,
    giRiskFactors,
    liverDisease,
    opioidUseDisorder,
    duloxetineContraindications,
    recentHipInjections,
    recentOrthopedicReferrals,
    acetaminophenMaxDailyMg:
      liverDisease.length > 0 ? config.acetaminophen.maxDailyMgLiverDisease : config.acetaminophen.maxDailyMg,
  };
  if (age !== undefined) facts.age = age;
  if (excluded !== undefined) facts.excluded = excluded;
  if (mainHipCondition !== undefined) facts.mainHipCondition = mainHipCondition;
  if (episodeStart !== undefined) facts.episodeStart = episodeStart;
  if (episodeWeeks !== undefined) facts.episodeWeeks = episodeWeeks;
  if (therapyStart !== undefined) facts.therapyStart = therapyStart;
  if (therapyWeeks !== undefined) facts.therapyWeeks = therapyWeeks;
  if (latestProm !== undefined) facts.latestProm = latestProm;
  if (longstandingAnalgesic !== undefined) facts.longstandingAnalgesic = longstandingAnalgesic;
  if (negativeOrEquivocalRadiograph !== undefined) facts.negativeOrEquivocalRadiograph = negativeOrEquivocalRadiograph;
  if (latestEgfr !== undefined) facts.latestEgfr = latestEgfr;
  return facts;
}
