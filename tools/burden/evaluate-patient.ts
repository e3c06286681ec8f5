import type { FhirResource } from 'fhir/r4.js';
import type { PathwayConfig } from '../../src/pathway/config.js';
import { evaluatePathway } from '../../src/pathway/evaluate.js';
import type { PatientFacts } from '../../src/pathway/facts.js';
import type { TopicCode } from '../../src/pathway/topics.js';
import type { RecordIndexer } from '../../src/record/index-record.js';
import { type AsOf, chartAsOf, evaluationDate } from '../as-of.js';

/** What the pathway concludes for one patient of a population, as the burden report counts it. */
export interface PatientOutcome {
  excluded: boolean;
  hipCondition: boolean;
  /** A hip condition with an active episode (the patients patient-view cards are meant for). */
  activeEpisode: boolean;
  /** The topics of the patient-view cards the chart would get. */
  topics: TopicCode[];
}

const MONTH_MS = 30.44 * 24 * 3600 * 1000;

/** The chart's hip episode is current: a hip condition dated in the last 12 months, or hip care in the last 6. */
function activeEpisodeOf(facts: PatientFacts): boolean {
  const now = facts.now.getTime();
  const within = (d: Date | undefined, months: number): boolean => d !== undefined && now - d.getTime() <= months * MONTH_MS;
  if (facts.hipConditions.some((c) => within(c.onset, 12))) return true;
  const care = [...facts.exerciseTherapy, ...facts.radiographs, ...facts.advancedImaging];
  return care.some((e) => within(e.date, 6));
}

/**
 * Evaluates one patient's resources as patient-view would on the day `asOf` names, in-process (no HTTP): index
 * the record once, the pathway's facts and rules, the cards' topics.
 */
export function evaluatePatient(
  resources: readonly FhirResource[],
  deps: { indexer: RecordIndexer; pathwayConfig: PathwayConfig; asOf: AsOf; clock?: Date },
): PatientOutcome | undefined {
  const patient = resources.find((r) => r.resourceType === 'Patient');
  if (patient?.id === undefined) return undefined;
  const now = evaluationDate(deps.asOf, resources, deps.clock);
  const record = deps.indexer.index({
    now,
    context: { patientId: patient.id, userId: 'Practitioner/burden-report' },
    entries: chartAsOf(resources, now).map((resource) => ({ resource })),
    draftOrders: [],
  });
  const result = evaluatePathway(record, 'patient-view', deps.pathwayConfig);
  const facts = result.facts;
  return {
    excluded: facts.excluded !== undefined,
    hipCondition: facts.hipConditions.length > 0,
    activeEpisode: facts.excluded === undefined && facts.hipConditions.length > 0 && activeEpisodeOf(facts),
    topics: result.findings.map((f) => f.topic),
  };
}
