import type { FhirResource } from 'fhir/r4.js';
import { loadPathwayConfig } from '../../src/pathway/config.js';
import { RecordIndexer } from '../../src/record/index-record.js';
import type { PatientRecord } from '../../src/record/types.js';
import { loadTerminology } from '../../src/terminology/valuesets.js';

/** The real terminology, configuration and indexer, loaded once per test file. */
export const terminology = loadTerminology();
export const pathwayConfig = loadPathwayConfig();
const indexer = new RecordIndexer(terminology);

export const NOW = new Date('2026-11-23T12:00:00Z');

export function index(resources: FhirResource[], drafts: FhirResource[] = [], now = NOW): PatientRecord {
  return indexer.index({
    now,
    context: { patientId: 'p1', userId: 'Practitioner/u1' },
    entries: resources.map((resource) => ({ resource })),
    draftOrders: drafts.map((resource) => ({ resource })),
  });
}

export const RX = 'http://www.nlm.nih.gov/research/umls/rxnorm';
export const UCUM = 'http://unitsofmeasure.org';

export function medication(extra: Record<string, unknown>): FhirResource {
  return {
    resourceType: 'MedicationRequest',
    id: `m${Math.random().toString(36).slice(2, 8)}`,
    status: 'active',
    intent: 'order',
    subject: { reference: 'Patient/p1' },
    ...extra,
  };
}
