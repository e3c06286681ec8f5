import type { FhirResource } from 'fhir/r4.js';
import { loadPathwayConfig, type PathwayConfig } from '../../src/pathway/config.js';
import { RecordIndexer } from '../../src/record/index-record.js';
import { loadTerminology } from '../../src/terminology/valuesets.js';
import type { AsOf } from '../as-of.js';
import { evaluatePatient, type PatientOutcome } from './evaluate-patient.js';
import { readBucket, readBundleFile, readMedications, type WorkUnit } from './input.js';

/** Evaluates units of work in one thread: the pathway built once, each unit read, its patients evaluated. */
export class UnitRunner {
  private readonly indexer: RecordIndexer;
  private readonly pathwayConfig: PathwayConfig;
  private medications: Map<string, FhirResource> | undefined;

  constructor(
    private readonly options: { asOf: AsOf; pathwayConfigFile?: string; medicationsFile?: string; clock?: Date },
  ) {
    this.indexer = new RecordIndexer(loadTerminology());
    this.pathwayConfig = loadPathwayConfig(options.pathwayConfigFile);
  }

  evaluate(resources: readonly FhirResource[]): PatientOutcome | undefined {
    return evaluatePatient(resources, {
      indexer: this.indexer,
      pathwayConfig: this.pathwayConfig,
      asOf: this.options.asOf,
      ...(this.options.clock !== undefined ? { clock: this.options.clock } : {}),
    });
  }

  async run(unit: WorkUnit): Promise<(PatientOutcome | undefined)[]> {
    if (unit.kind === 'bundle') {
      const resources = readBundleFile(unit.path);
      return [resources !== undefined ? this.evaluate(resources) : undefined];
    }
    this.medications ??= await readMedications(this.options.medicationsFile);
    const patients = await readBucket(unit.path, this.medications);
    return patients.map((resources) => this.evaluate(resources));
  }
}
