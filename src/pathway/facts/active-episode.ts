import type { PathwayConfig } from '../config.js';
import { forTheHip, namesHipReason } from '../order-scope.js';
import { monthsBefore } from '../time.js';
import { ADVANCED_IMAGING_SETS, HIP_ANALGESIC_CLASSES, HIP_CONDITION_SETS, inAny, VS } from '../value-set-ids.js';
import type { ConditionEntry, EventEntry, MedicationEntry, PatientRecord } from '../../record/types.js';
import { notAfter, within } from './dates.js';
import { imagingOnRecord } from './imaging.js';
import { promObservations } from './proms.js';
import { doneOrPending } from './recent-care.js';
import type { ActiveEpisodeReason } from './types.js';

const THERAPY_STATUSES = new Set(['active', 'completed', 'in-progress']);
const ORDER_NOT_AUTHORED = new Set(['entered-in-error', 'cancelled', 'draft']);

type Care = Extract<ActiveEpisodeReason, { kind: 'hip-care' }>['care'];

/**
 * A hip analgesic order that is hip care: its reason names a hip condition; or it names no other condition and
 * its encounter did not diagnose only conditions outside the hip set (ibuprofen ordered at the visit that
 * recorded a whiplash injury is for the whiplash).
 */
function analgesicForTheHip(m: MedicationEntry, record: PatientRecord): boolean {
  if (namesHipReason(m)) return true;
  if (!forTheHip(m)) return false;
  const diagnosed = m.encounter === undefined ? [] : record.conditions.filter((c) => c.encounter === m.encounter && c.valid);
  return diagnosed.length === 0 || diagnosed.some((c) => inAny(c.sets, HIP_CONDITION_SETS));
}

/** Hip care within activeEpisodeCareMonths, the latest first found per kind (docs/clinical-spec.md §2 active episode). */
function hipCare(record: PatientRecord, config: PathwayConfig): { care: Care; date: Date }[] {
  const since = monthsBefore(record.now, config.activeEpisodeCareMonths);
  const inWindow = (d: Date | undefined): d is Date => within(d, since) && notAfter(d, record.now);
  const found: { care: Care; date: Date }[] = [];
  const add = (care: Care, dates: readonly (Date | undefined)[]): void => {
    const recent = dates.filter(inWindow).sort((a, b) => b.getTime() - a.getTime())[0];
    if (recent !== undefined) found.push({ care, date: recent });
  };
  const proms = promObservations(record);
  add(
    'prom',
    proms.filter((o) => o.instrument.scale === '0-100').map((o) => o.date),
  );
  add(
    'pain-score',
    proms.filter((o) => o.instrument.scale === '0-10' && o.value >= config.painNotMildScore).map((o) => o.date),
  );
  const events = (test: (e: EventEntry) => boolean): (Date | undefined)[] => record.events.filter(test).map((e) => e.date);
  add(
    'exercise-therapy',
    events((e) => e.sets.has(VS.exerciseTherapy) && THERAPY_STATUSES.has(e.status)),
  );
  add(
    'imaging',
    events((e) => (e.sets.has(VS.radiograph) || inAny(e.sets, ADVANCED_IMAGING_SETS)) && imagingOnRecord(e)),
  );
  add(
    'injection',
    events((e) => e.sets.has(VS.hipJointInjection) && doneOrPending(e)),
  );
  add(
    'referral',
    events((e) => e.sets.has(VS.orthopedicReferral) && doneOrPending(e)),
  );
  add(
    'analgesic',
    record.medications
      .filter(
        (m) => !ORDER_NOT_AUTHORED.has(m.status) && inAny(m.classes, HIP_ANALGESIC_CLASSES) && analgesicForTheHip(m, record),
      )
      .map((m) => m.authoredOn),
  );
  return found.sort((a, b) => b.date.getTime() - a.date.getTime());
}

/**
 * docs/clinical-spec.md §2 active episode: a hip condition with onset or recordedDate within
 * activeEpisodeConditionMonths, or hip care within activeEpisodeCareMonths (a hip PROM; a 0-10 pain score of at
 * least painNotMildScore; exercise therapy; hip or pelvis imaging done or ordered; a hip joint injection; an
 * orthopaedic referral; a hip analgesic order not for another condition by its reason or its encounter's
 * diagnoses). Otherwise the chart is dormant.
 */
export function activeEpisode(
  record: PatientRecord,
  hipConditions: readonly ConditionEntry[],
  config: PathwayConfig,
): ActiveEpisodeReason | undefined {
  if (hipConditions.length === 0) return undefined;
  const since = monthsBefore(record.now, config.activeEpisodeConditionMonths);
  const recent = hipConditions.find((c) => within(c.onset, since) || within(c.recorded, since));
  if (recent !== undefined) return { kind: 'recent-condition', entry: recent };
  const care = hipCare(record, config)[0];
  return care !== undefined ? { kind: 'hip-care', ...care } : undefined;
}
