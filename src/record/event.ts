import type { Terminology } from '../terminology/valuesets.js';
import { HIP_CONDITION_SETS, inAny, VS } from '../pathway/value-set-ids.js';
import { displayOf, keysOf } from './codes.js';
import { codingsOf, firstDate, type Json, objects, periodStart, str, textsOf } from './read.js';
import type { EventEntry, EventResource, Reasons } from './types.js';

type R = Record<string, Json>;

function dateOf(type: EventResource['resourceType'], r: R): Date | undefined {
  switch (type) {
    case 'Procedure':
      return firstDate(r['performedDateTime'], periodStart(r['performedPeriod']));
    case 'ServiceRequest':
      return firstDate(r['authoredOn'], r['occurrenceDateTime'], periodStart(r['occurrencePeriod']));
    case 'DiagnosticReport':
      return firstDate(r['effectiveDateTime'], periodStart(r['effectivePeriod']), r['issued']);
    case 'ImagingStudy':
      return firstDate(r['started']);
  }
}

/**
 * Whether a resource is for the hip by what it says besides its code: a reason naming a hip condition, or its
 * text or body-site text naming the hip (valuesets/hip-body-site.json words). A generic code (MRI of a
 * lower-extremity joint, MRI pelvis, joint injection) then counts for the hip (docs/clinical-spec.md §2).
 */
function saysHip(terminology: Terminology, texts: readonly string[], reasons: Reasons): boolean {
  if (inAny(reasons.codeSets, HIP_CONDITION_SETS) || reasons.conditions.some((c) => inAny(c.sets, HIP_CONDITION_SETS)))
    return true;
  return terminology.hasWords(VS.hipBodySite, texts.join(' | '));
}

/** A Procedure, ServiceRequest, DiagnosticReport or ImagingStudy: codes, value sets, status, date, conclusions. */
export function indexEvent(terminology: Terminology, r: R, ref: string, draft: boolean, now: Date, reasons: Reasons): EventEntry {
  const type = r['resourceType'] as EventResource['resourceType'];
  const codeElement = type === 'ImagingStudy' ? r['procedureCode'] : r['code'];
  const codeElements: Json[] =
    type === 'ImagingStudy' ? [codeElement, ...objects(r['series']).map((s) => s['modality'])] : [codeElement];
  const keys = keysOf(codeElements.flatMap((c) => codingsOf(c)));
  const sites = [r['bodySite'], ...objects(r['series']).map((s) => s['bodySite'])];
  const siteKeys = keysOf(sites.flatMap((s) => codingsOf(s)));
  const texts = [...textsOf(codeElement), ...sites.flatMap((s) => textsOf(s)), str(r['description']) ?? ''];
  const conclusion = codingsOf(r['conclusionCode']);
  const entry: EventEntry = {
    resourceType: type,
    ref,
    keys,
    sets: terminology.membership(keys, siteKeys, saysHip(terminology, texts, reasons)),
    display: displayOf(codeElement, type),
    resource: r as unknown as EventResource,
    status: str(r['status']) ?? 'unknown',
    draft,
    conclusionSets: terminology.membership(keysOf(conclusion)),
    conclusions: keysOf(conclusion).map((k) => terminology.membership([k])),
    conclusionConcepts: objects(r['conclusionCode']).map((cc) => ({
      display: displayOf(cc, 'a conclusion'),
      sets: terminology.membership(keysOf(codingsOf(cc))),
    })),
    reasons,
  };
  const d = dateOf(type, r) ?? (draft ? now : undefined);
  if (d !== undefined) entry.date = d;
  return entry;
}
