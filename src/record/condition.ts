import type { Condition } from 'fhir/r4.js';
import type { Terminology } from '../terminology/valuesets.js';
import { displayOf, keysOf } from './codes.js';
import { LATERALITY_SETS, lateralityOf } from './laterality.js';
import { codingsOf, conceptCode, firstDate, type Json, parseDate, periodStart, textsOf } from './read.js';
import { referenceKey } from './references.js';
import type { ConditionEntry } from './types.js';

const CONDITION_ACTIVE = new Set(['active', 'recurrence', 'relapse']);
const CONDITION_INVALID = new Set(['refuted', 'entered-in-error']);
const ABATEMENT = ['abatementDateTime', 'abatementPeriod', 'abatementAge', 'abatementString', 'abatementRange'];

/**
 * A Condition (docs/clinical-spec.md §1): active when clinicalStatus is active/recurrence/relapse and it is not
 * refuted or entered in error; onset from onsetDateTime, onsetPeriod.start, else recordedDate; its side.
 */
export function indexCondition(terminology: Terminology, r: Record<string, Json>, ref: string): ConditionEntry {
  const keys = keysOf(codingsOf(r['code']));
  const clinical = conceptCode(r['clinicalStatus']);
  const verification = conceptCode(r['verificationStatus']);
  const valid = verification === undefined || !CONDITION_INVALID.has(verification);
  // R4 lets clinicalStatus be absent only when verificationStatus is entered-in-error; an EHR that omits it
  // anyway is read as active unless the condition has abated.
  const hasAbatement = ABATEMENT.some((k) => r[k] !== undefined) || r['abatementBoolean'] === true;
  const active = valid && (clinical === undefined ? !hasAbatement : CONDITION_ACTIVE.has(clinical));
  const onset = firstDate(r['onsetDateTime'], periodStart(r['onsetPeriod']), r['recordedDate']);
  const recorded = parseDate(r['recordedDate']);
  // The laterality sets say which side, not what the condition is: they are read by lateralityOf only.
  const sets = terminology.membership(keys);
  for (const side of Object.values(LATERALITY_SETS)) sets.delete(side);
  const entry: ConditionEntry = {
    ref,
    keys,
    sets,
    display: displayOf(r['code'], 'condition'),
    resource: r as unknown as Condition,
    active,
    valid,
    enteredInError: verification === 'entered-in-error',
    laterality: lateralityOf(terminology, [...keys, ...keysOf(codingsOf(r['bodySite']))], textsOf(r['bodySite'])),
  };
  if (onset !== undefined) entry.onset = onset;
  if (recorded !== undefined) entry.recorded = recorded;
  const encounter = referenceKey(r['encounter']) ?? referenceKey(r['context']);
  if (encounter !== undefined) entry.encounter = encounter;
  return entry;
}
