import type { CardTemplates } from '../cards/templates.js';
import type { Logger } from '../log.js';
import type { PathwayConfig } from '../pathway/config.js';
import { PATIENT_VIEW_TOPICS } from '../pathway/topics.js';
import type { PatientHasher } from '../store/patient-hash.js';
import type { Store } from '../store/store.js';

/**
 * Feedback that quiets cards (docs/storage.md). A clinician's answer to a patient-view card leaves its topic out
 * of that patient's next patient-view calls for a while, on every instance and across restarts:
 *  - overridden with a reason: as long as the reason declares (`quiet:` of each overrideReasons entry in
 *    cards/<topic>.yaml, e.g. "12 months" for done elsewhere, "none" to keep showing it);
 *  - overridden without a reason (or with one the card does not list): `feedbackQuiet.overriddenWithoutReason`
 *    of config/pathway.yaml (default: none);
 *  - accepted: `feedbackQuiet.accepted` (default 1 month), the time the accepted order takes to appear on
 *    record, after which the rules see it (or, if it never came, the card shows again).
 * Only patient-view topics are quieted: order-select and order-sign judge the order being placed. A
 * safety-critical order warning (acetaminophen-max-dose) is never quieted, whatever its template says.
 */
export const NEVER_QUIETED: ReadonlySet<string> = new Set(['acetaminophen-max-dose']);
const QUIETABLE: ReadonlySet<string> = new Set(PATIENT_VIEW_TOPICS);

export interface Duration {
  amount: number;
  unit: 'day' | 'week' | 'month' | 'year';
}

export const DURATION_PATTERN = '^(none|[1-9][0-9]{0,3} (day|week|month|year)s?)$';

/** "12 months", "1 month", "2 weeks", "30 days"; "none" (or nothing) is no quiet period. */
export function parseDuration(text: string | undefined): Duration | undefined {
  if (text === undefined || text.trim() === 'none') return undefined;
  const m = /^([1-9][0-9]{0,3}) (day|week|month|year)s?$/.exec(text.trim());
  if (m?.[1] === undefined || m[2] === undefined) throw new Error(`"${text}" is not a duration such as "3 months" or "none"`);
  return { amount: Number(m[1]), unit: m[2] as Duration['unit'] };
}

/** `from` plus the duration, in calendar units (UTC). */
export function addDuration(fromMs: number, d: Duration): number {
  const t = new Date(fromMs);
  if (d.unit === 'day') t.setUTCDate(t.getUTCDate() + d.amount);
  else if (d.unit === 'week') t.setUTCDate(t.getUTCDate() + 7 * d.amount);
  else if (d.unit === 'month') t.setUTCMonth(t.getUTCMonth() + d.amount);
  else t.setUTCFullYear(t.getUTCFullYear() + d.amount);
  return t.getTime();
}

export interface QuietSettings {
  accepted?: string;
  overriddenWithoutReason?: string;
}

/** How long each answer quiets its topic, from the card templates and the pathway configuration. */
export class QuietPolicy {
  private readonly byReason = new Map<string, Duration | undefined>();
  private readonly accepted: Duration | undefined;
  private readonly withoutReason: Duration | undefined;

  constructor(templates: CardTemplates, config: PathwayConfig) {
    const settings: QuietSettings = config.feedbackQuiet ?? {};
    this.accepted = parseDuration(settings.accepted ?? '1 month');
    this.withoutReason = parseDuration(settings.overriddenWithoutReason ?? 'none');
    for (const [topic, t] of templates.byTopic)
      for (const r of t.overrideReasons ?? []) {
        try {
          this.byReason.set(`${topic}|${r.code}`, parseDuration(r.quiet));
        } catch (err) {
          throw new Error(`cards/${topic}.yaml: override reason ${r.code}: quiet: ${(err as Error).message}`);
        }
      }
  }

  /** The quiet period an answer starts, or undefined when it starts none. */
  periodFor(topic: string, outcome: 'accepted' | 'overridden', reasonCode: string | undefined): Duration | undefined {
    if (NEVER_QUIETED.has(topic) || !QUIETABLE.has(topic)) return undefined;
    if (outcome === 'accepted') return this.accepted;
    const key = `${topic}|${reasonCode ?? ''}`;
    return reasonCode !== undefined && this.byReason.has(key) ? this.byReason.get(key) : this.withoutReason;
  }
}

/** The quiet topics of a patient at patient-view time (read from the shared database). */
export class QuietPeriods {
  constructor(
    private readonly store: Store,
    private readonly hash: PatientHasher,
    private readonly log: Logger,
  ) {}

  /**
   * The topics quiet for this patient now. Never fails the call: if the database cannot answer, nothing is
   * quieted (the clinician sees every card) and a warning is logged.
   */
  async topicsFor(patientId: string, now: Date): Promise<ReadonlySet<string>> {
    try {
      const rows = await this.store.quietTopics(this.hash(patientId), now.getTime());
      return new Set(rows.map((r) => r.topic).filter((t) => !NEVER_QUIETED.has(t)));
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'quiet periods unavailable (database); no card quieted');
      return new Set();
    }
  }
}

/** The filter step of a patient-view call: the findings whose topic is not quiet, and the topics left out. */
export async function leaveOutQuieted<F extends { topic: string }>(
  findings: readonly F[],
  quiet: Promise<ReadonlySet<string>> | undefined,
): Promise<{ findings: F[]; quieted: string[] }> {
  if (quiet === undefined) return { findings: [...findings], quieted: [] };
  const topics = await quiet;
  if (topics.size === 0) return { findings: [...findings], quieted: [] };
  const kept = findings.filter((f) => !topics.has(f.topic) || NEVER_QUIETED.has(f.topic));
  const quieted = findings.filter((f) => !kept.includes(f)).map((f) => f.topic);
  return { findings: kept, quieted };
}
