import type { FhirResource } from 'fhir/r4.js';
import { computeFacts } from '../../../src/pathway/facts.js';
import type { PatientFacts } from '../../../src/pathway/facts.js';
import type { PathwayConfig } from '../../../src/pathway/config.js';
import type { PatientRecord } from '../../../src/record/types.js';
import { index, pathwayConfig } from '../../helpers/pathway.js';

/**
 * Small FHIR resources for the fact tests, dated relative to now: ago(3, 'w') is three weeks before now.
 */
export const now = new Date();

export function ago(n: number, unit: 'd' | 'w' | 'm' | 'y'): string {
  const d = new Date(now.getTime());
  if (unit === 'd') d.setUTCDate(d.getUTCDate() - n);
  if (unit === 'w') d.setUTCDate(d.getUTCDate() - 7 * n);
  if (unit === 'm') d.setUTCMonth(d.getUTCMonth() - n);
  if (unit === 'y') d.setUTCFullYear(d.getUTCFullYear() - n);
  return d.toISOString();
}

let n = 0;
const id = (p: string): string => `${p}${(n += 1)}`;
export const SCT = 'http://snomed.info/sct';
export const RX = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const LOINC = 'http://loinc.org';

export function patient(ageYears: number, extra: object = {}): FhirResource {
  return { resourceType: 'Patient', id: 'p1', birthDate: ago(ageYears, 'y').slice(0, 10), ...extra };
}

export function condition(code: string, onset: string, extra: object = {}, system = SCT): FhirResource {
  return {
    resourceType: 'Condition',
    id: id('c'),
    clinicalStatus: { coding: [{ code: 'active' }] },
    code: { coding: [{ system, code }] },
    onsetDateTime: onset,
    ...extra,
  } as FhirResource;
}

export const hipOa = (onset: string, extra: object = {}): FhirResource => condition('239872002', onset, extra);
export const hipPain = (onset: string, extra: object = {}): FhirResource => condition('49218002', onset, extra);

export function score(code: string, value: number, when: string): FhirResource {
  return {
    resourceType: 'Observation',
    id: id('o'),
    status: 'final',
    code: { coding: [{ system: LOINC, code }] },
    effectiveDateTime: when,
    valueQuantity: { value },
  };
}
export const pain = (value: number, when: string): FhirResource => score('72514-3', value, when);

export function physio(when: string, status = 'completed'): FhirResource {
  return {
    resourceType: 'Procedure',
    id: id('p'),
    status,
    code: { coding: [{ system: SCT, code: '91251008' }] },
    performedDateTime: when,
  } as FhirResource;
}

export function med(code: string, authoredOn: string, extra: object = {}): FhirResource {
  return {
    resourceType: 'MedicationRequest',
    id: id('m'),
    status: 'active',
    intent: 'order',
    medicationCodeableConcept: { coding: [{ system: RX, code }] },
    authoredOn,
    ...extra,
  } as FhirResource;
}
export const naproxen = (authoredOn: string, extra: object = {}): FhirResource => med('198014', authoredOn, extra);

export function event(
  resourceType: 'Procedure' | 'ServiceRequest' | 'DiagnosticReport',
  system: string,
  code: string,
  when: string,
  extra: object = {},
): FhirResource {
  const dateKey = { Procedure: 'performedDateTime', ServiceRequest: 'authoredOn', DiagnosticReport: 'effectiveDateTime' }[
    resourceType
  ];
  return {
    resourceType,
    id: id('e'),
    status: { Procedure: 'completed', ServiceRequest: 'active', DiagnosticReport: 'final' }[resourceType],
    code: { coding: [{ system, code }] },
    [dateKey]: when,
    ...extra,
  } as FhirResource;
}

export function record(...resources: FhirResource[]): PatientRecord {
  return index(resources, [], now);
}

export function facts(resources: FhirResource[], config: PathwayConfig = pathwayConfig): PatientFacts {
  return computeFacts(record(...resources), config);
}
