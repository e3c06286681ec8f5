import type { ConditionEntry, EventEntry, MedicationEntry, ObservationEntry } from '../../record/types.js';

/** The facts of docs/clinical-spec.md §2 for one call. Rules read only these; each fact keeps its entries. */

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
  kind: 'maoi' | 'serotonergic' | 'low-egfr' | 'liver-disease';
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

/** What makes an episode active (docs/clinical-spec.md §2 active episode), first found. */
export type ActiveEpisodeReason =
  | { kind: 'recent-condition'; entry: ConditionEntry }
  | {
      kind: 'hip-care';
      care: 'prom' | 'pain-score' | 'exercise-therapy' | 'imaging' | 'injection' | 'referral' | 'analgesic';
      date: Date;
    };

export interface CurrentMedications {
  nsaid: readonly MedicationEntry[];
  acetaminophen: readonly MedicationEntry[];
  duloxetine: readonly MedicationEntry[];
  opioid: readonly MedicationEntry[];
  ppi: readonly MedicationEntry[];
  /** Anticoagulants and antiplatelets (aspirin included). */
  antithrombotic: readonly MedicationEntry[];
  clopidogrel: readonly MedicationEntry[];
}

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
  /** The hip problem is current; without it a chart with hip conditions is dormant. */
  activeEpisode: boolean;
  activeEpisodeReason?: ActiveEpisodeReason;
  overuseInjuries: readonly ConditionEntry[];
  /** Overuse injuries whose onset is less than overuseEarlyWeeks ago. */
  earlyOveruseInjuries: readonly ConditionEntry[];
  /** Hip OA and the diagnoses of the surgical-planning and hip-preservation topics (Conditions, else reports). */
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
  /** The latest 0-10 pain score within painScoreRecentWeeks, if any. */
  latestPainScore?: PromPoint & { instrument: string };
  /** No recent 0-10 pain score, or the latest is at least painNotMildScore. */
  painNotMild: boolean;
  persistentHipPain: boolean;

  currentHipAnalgesics: readonly MedicationEntry[];
  failedConservativeCare: boolean;

  /** Radiographs on record within lookbackMonths, done or ordered (drafts of this call included). */
  radiographs: readonly EventEntry[];
  radiographOnRecord: boolean;
  negativeOrEquivocalRadiograph?: EventEntry;
  advancedImaging: readonly EventEntry[];
  advancedImagingOnRecord: boolean;

  current: CurrentMedications;
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
  /** Numbers of the record that cannot be real, for the log (no patient data). */
  cannotCompute: readonly string[];
}
