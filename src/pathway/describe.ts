import type { Diagnosis, PatientFacts, PromTrend } from './facts.js';
import { isoDay } from './time.js';
import type { ConditionEntry, EventEntry, MedicationEntry } from '../record/types.js';

/**
 * The facts of docs/clinical-spec.md §2 for one patient, as lines a clinician or tester can read (the evaluate tool prints
 * them). Plain text; used on the reviewer's own console, never in logs.
 */
export type FactLine = [label: string, value: string];

const since = (d: Date | undefined): string => (d !== undefined ? ` (since ${isoDay(d)})` : '');
const cond = (c: ConditionEntry): string => `${c.display}${since(c.onset)}`;
/** A Condition, or a report's conclusion ("Osteoarthritis of hip on XR Pelvis AP (2026-06-01)"). */
const diagnosis = (d: Diagnosis): string =>
  'report' in d ? `${d.display}${d.date !== undefined ? ` (${isoDay(d.date)})` : ''}` : cond(d);
const med = (m: MedicationEntry): string => `${m.display}${since(m.authoredOn)}`;
const event = (e: EventEntry): string =>
  `${e.display}${e.date !== undefined ? ` (${isoDay(e.date)}, ${e.resourceType} ${e.status}${e.draft ? ', draft of this call' : ''})` : ''}`;
const list = <T>(items: readonly T[], f: (t: T) => string): string => (items.length === 0 ? 'none' : items.map(f).join('; '));
const yes = (b: boolean): string => (b ? 'yes' : 'no');

function prom(t: PromTrend): string {
  const parts = [t.instrument];
  if (t.baseline !== undefined) parts.push(`baseline ${round(t.baseline.value)} (${isoDay(t.baseline.date)})`);
  if (t.latest !== undefined) parts.push(`latest ${round(t.latest.value)} (${isoDay(t.latest.date)})`);
  if (t.improvement !== undefined) parts.push(`better by ${round(t.improvement)}`);
  if (t.noTrendBecause !== undefined) parts.push(`no trend: ${t.noTrendBecause}`);
  else parts.push(t.improving ? 'improving' : 'not improving');
  return parts.join(', ');
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

function contraindicationDetail(c: PatientFacts['duloxetineContraindications'][number]): string {
  if (c.entry !== undefined) return `: ${c.entry.display}`;
  return c.egfr?.value !== undefined ? `: eGFR ${c.egfr.value}` : '';
}

function activeText(f: PatientFacts): string {
  const r = f.activeEpisodeReason;
  if (r === undefined) return f.hipConditions.length > 0 ? 'no (dormant)' : 'no';
  return r.kind === 'recent-condition' ? `yes: ${cond(r.entry)}` : `yes: hip care (${r.care}, ${isoDay(r.date)})`;
}

export function describeFacts(f: PatientFacts): FactLine[] {
  return [
    ['now', isoDay(f.now)],
    ['age', f.age !== undefined ? String(f.age) : 'unknown'],
    ['excluded patient', f.excluded ?? 'no'],
    ['hip conditions', list(f.hipConditions, cond)],
    ['episode start', f.episodeStart !== undefined ? `${isoDay(f.episodeStart)} (${f.episodeWeeks ?? '?'} weeks)` : 'none'],
    ['active episode', activeText(f)],
    ['overuse injuries < 6 weeks', list(f.earlyOveruseInjuries, cond)],
    [
      'structural diagnosis',
      f.structuralDiagnosis ? [...f.structuralConditions.map(cond), ...f.structuralReports.map(event)].join('; ') : 'no',
    ],
    [
      'exercise therapy',
      f.therapyStart !== undefined
        ? `since ${isoDay(f.therapyStart)} (${f.therapyWeeks ?? '?'} weeks): ${list(f.exerciseTherapy, event)}`
        : 'none since the episode began',
    ],
    ['outcome measures', list(f.proms, prom)],
    ['improving', yes(f.improving)],
    [
      'latest 0-10 pain score (recent)',
      f.latestPainScore !== undefined ? `${round(f.latestPainScore.value)}/10 (${isoDay(f.latestPainScore.date)})` : 'none',
    ],
    ['pain not mild', yes(f.painNotMild)],
    ['persistent hip pain', yes(f.persistentHipPain)],
    ['current NSAID', list(f.current.nsaid, med)],
    ['current acetaminophen', list(f.current.acetaminophen, med)],
    ['current duloxetine', list(f.current.duloxetine, med)],
    ['current opioid', list(f.current.opioid, med)],
    ['current PPI', list(f.current.ppi, med)],
    [
      'failed conservative care',
      f.failedConservativeCare && f.therapyStart !== undefined ? `yes, therapy since ${isoDay(f.therapyStart)}` : 'no',
    ],
    ['radiograph on record (12 months)', list(f.radiographs, event)],
    [
      'negative or equivocal radiograph',
      f.negativeOrEquivocalRadiograph !== undefined ? event(f.negativeOrEquivocalRadiograph) : 'no',
    ],
    ['advanced imaging on record (12 months)', list(f.advancedImaging, event)],
    ['GI risk factors', list(f.giRiskFactors, (r) => `${r.kind}${r.entry !== undefined ? `: ${r.entry.display}` : ''}`)],
    ['duloxetine contraindications', list(f.duloxetineContraindications, (c) => `${c.kind}${contraindicationDetail(c)}`)],
    ['hip OA', list(f.hipOsteoarthritis, diagnosis)],
    ['FAI, labral tear, dysplasia', list(f.hipPreservationDiagnoses, diagnosis)],
    ['opioid use disorder', list(f.opioidUseDisorder, cond)],
    ['hip joint injection (3 months)', list(f.recentHipInjections, event)],
    ['orthopaedic referral (12 months)', list(f.recentOrthopedicReferrals, event)],
    ['acetaminophen daily maximum', `${f.acetaminophenMaxDailyMg} mg`],
  ];
}
