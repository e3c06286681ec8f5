import type { FhirResource } from 'fhir/r4.js';
import type { Pathway } from '../../src/pathway/run.js';
import type { TopicCode } from '../../src/pathway/topics.js';
import { asOf, chartAt } from '../as-of.js';

/** What the pathway concludes for one patient of a population, as the burden report counts it. */
export interface PatientOutcome {
  excluded: boolean;
  hipCondition: boolean;
  /** A hip condition with an active episode (docs/clinical-spec.md §2): the patients patient-view cards are for. */
  activeEpisode: boolean;
  /** The topics of the patient-view cards the chart would get. */
  topics: TopicCode[];
}

/** "now", "last-encounter" or a date, as `--as-of` takes it. */
export type AsOfSetting = string;

/**
 * Evaluates one patient's resources as patient-view would on the day `--as-of` names, in-process (no HTTP), with
 * the same pipeline the service runs (src/pathway/run.ts): index the record once, the facts, the rules, the cards.
 * A record without an Encounter is opened on the clock's day under `last-encounter`.
 */
export function evaluatePatient(
  resources: readonly FhirResource[],
  deps: { pathway: Pathway; asOf: AsOfSetting; clock?: Date },
): PatientOutcome | undefined {
  const patient = resources.find((r) => r.resourceType === 'Patient');
  if (patient?.id === undefined) return undefined;
  const entries = resources.map((resource) => ({ resource }));
  const clock = deps.clock ?? new Date();
  const hasEncounter = resources.some((r) => r.resourceType === 'Encounter');
  const now = deps.asOf === 'now' || (deps.asOf === 'last-encounter' && !hasEncounter) ? clock : asOf(deps.asOf, entries);
  const run = deps.pathway.run('patient-view', {
    now,
    context: { patientId: patient.id, userId: 'Practitioner/burden-report' },
    entries: chartAt(entries, now),
  });
  const { facts } = run;
  return {
    excluded: facts.excluded !== undefined,
    hipCondition: facts.hipConditions.length > 0,
    activeEpisode: facts.excluded === undefined && facts.hipConditions.length > 0 && facts.activeEpisode,
    topics: run.findings.map((f) => f.topic),
  };
}
