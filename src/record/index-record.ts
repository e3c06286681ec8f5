import type { FhirResource } from 'fhir/r4.js';
import type { Terminology } from '../terminology/valuesets.js';
import { keysOf } from './codes.js';
import { indexCondition } from './condition.js';
import { indexEvent } from './event.js';
import { indexMedication } from './medication.js';
import { indexObservation } from './observation.js';
import { indexPatient } from './patient.js';
import { codingsOf, isObject, type Json, objects, str } from './read.js';
import { ReferenceResolver, refOf } from './references.js';
import type { ConditionEntry, ObservationEntry, OrderEntry, PatientInfo, PatientRecord, Reasons } from './types.js';

export { ageAt } from './patient.js';

/** A resource as gathered, with the fullUrl it had in its Bundle (references may use it). */
export interface GatheredEntry {
  resource: FhirResource;
  fullUrl?: string;
}

export interface RecordInput {
  now: Date;
  context: { patientId: string; encounterId?: string; userId?: string };
  entries: readonly GatheredEntry[];
  /** context.draftOrders entries (order hooks). */
  draftOrders?: readonly GatheredEntry[];
  /** `Type/id` of the drafts to judge; undefined = judge every draft (order-sign). */
  selections?: readonly string[];
}

type R = Record<string, Json>;
interface Raw {
  r: R;
  fullUrl?: string;
  draft: boolean;
}
interface Pending {
  r: R;
  draft: boolean;
  ref: string;
}

const EVENT_TYPES = new Set(['Procedure', 'ServiceRequest', 'DiagnosticReport', 'ImagingStudy']);

/**
 * Indexes the patient's record once per call (docs/clinical-spec.md §1): every resource read into an entry with
 * normalised codes and value-set membership, so that facts and rules never read raw FHIR. This file only
 * orchestrates: each resource type has its own reader (condition.ts, observation.ts, medication.ts, event.ts).
 */
export class RecordIndexer {
  constructor(private readonly terminology: Terminology) {}

  index(input: RecordInput): PatientRecord {
    const resolver = new ReferenceResolver();
    const skipped: string[] = [];
    const counts: Record<string, number> = {};
    const all = collect(input, resolver, skipped, counts);

    const { now } = input;
    const t = this.terminology;
    let patient: PatientInfo = { deceased: false };
    const conditions: ConditionEntry[] = [];
    const conditionByResource = new Map<R, ConditionEntry>();
    const observations: ObservationEntry[] = [];
    const medicationRequests: Pending[] = [];
    const events: Pending[] = [];

    for (const { r, ref, draft } of dedupe(all)) {
      const type = r['resourceType'] as string;
      if (type === 'MedicationRequest') medicationRequests.push({ r, draft, ref });
      else if (EVENT_TYPES.has(type) && (!draft || type === 'ServiceRequest' || type === 'Procedure'))
        events.push({ r, draft, ref });
      else if (draft) continue;
      else if (type === 'Patient') {
        if (str(r['id']) === undefined || r['id'] === input.context.patientId || patient.id === undefined)
          patient = indexPatient(r, now);
      } else if (type === 'Condition') {
        const c = indexCondition(t, r, ref);
        conditions.push(c);
        conditionByResource.set(r, c);
      } else if (type === 'Observation') observations.push(...indexObservation(t, r, ref));
    }

    const reasonsOf = (r: R): Reasons => {
      const codeKeys = keysOf(codingsOf(r['reasonCode']));
      const resolved: ConditionEntry[] = [];
      for (const reference of objects(r['reasonReference'])) {
        // A reference that does not resolve to a Condition of the record says nothing either way.
        const target = resolver.resolve(reference, r);
        if (target?.['resourceType'] !== 'Condition') continue;
        resolved.push(conditionByResource.get(target) ?? indexCondition(t, target, refOf(target, undefined)));
      }
      return { codeSets: t.membership(codeKeys), hasReasonCode: codeKeys.length > 0, conditions: resolved };
    };

    const medications = medicationRequests.map(({ r, draft, ref }) =>
      indexMedication(t, r, ref, draft, now, resolver, reasonsOf(r)),
    );
    const indexedEvents = events.map(({ r, draft, ref }) => indexEvent(t, r, ref, draft, now, reasonsOf(r)));
    const drafts: OrderEntry[] = [...medications.filter((m) => m.draft), ...indexedEvents.filter((e) => e.draft)];
    const selected = input.selections === undefined ? undefined : new Set(input.selections);
    const judged = selected === undefined ? drafts : drafts.filter((d) => selected.has(d.ref));
    const outOfScale = observations.filter((o) => o.outOfScale === true).length;

    return {
      now,
      patientId: input.context.patientId,
      ...(input.context.encounterId !== undefined ? { encounterId: input.context.encounterId } : {}),
      ...(input.context.userId !== undefined ? { userId: input.context.userId } : {}),
      patient,
      conditions,
      observations,
      medications: medications.filter((m) => !m.draft),
      events: indexedEvents.filter((e) => !e.draft),
      drafts,
      judged,
      counts,
      skipped,
      cannotCompute: outOfScale > 0 ? [`${outOfScale} outcome measure value(s) outside the instrument's scale: not used`] : [],
    };
  }
}

/** Every entry with a resource, record first and drafts after, registered for reference look-up and counted. */
function collect(input: RecordInput, resolver: ReferenceResolver, skipped: string[], counts: Record<string, number>): Raw[] {
  const all: Raw[] = [];
  const push = (e: GatheredEntry, draft: boolean): void => {
    const r: Json = e.resource;
    if (!isObject(r) || typeof r['resourceType'] !== 'string') {
      skipped.push('an entry without a resource');
      return;
    }
    resolver.add(r, e.fullUrl);
    all.push({ r, draft, ...(e.fullUrl !== undefined ? { fullUrl: e.fullUrl } : {}) });
    const type = r['resourceType'];
    counts[type] = (counts[type] ?? 0) + 1;
  };
  for (const e of input.entries) push(e, false);
  for (const e of input.draftOrders ?? []) push(e, true);
  return all;
}

/** The same resource may come twice (a prefetch key and an _include, or two pages): the first is kept. */
function dedupe(all: readonly Raw[]): Pending[] {
  const seen = new Set<string>();
  const out: Pending[] = [];
  for (const { r, fullUrl, draft } of all) {
    const ref = refOf(r, fullUrl);
    if (str(r['id']) !== undefined) {
      const key = `${draft ? 'draft:' : ''}${ref}`;
      if (seen.has(key)) continue;
      seen.add(key);
    }
    out.push({ r, draft, ref });
  }
  return out;
}
