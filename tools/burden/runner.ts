import type { FhirResource } from 'fhir/r4.js';
import { loadCardTemplates } from '../../src/cards/templates.js';
import { loadPathwayConfig } from '../../src/pathway/config.js';
import { Pathway } from '../../src/pathway/run.js';
import { loadTerminology } from '../../src/terminology/valuesets.js';
import { type AsOfSetting, evaluatePatient, type PatientOutcome } from './evaluate-patient.js';
import { readBucket, readBundleFile, readMedications, type WorkUnit } from './input.js';

/** Evaluates units of work in one thread: the pathway built once, each unit read, its patients evaluated. */
export class UnitRunner {
  private readonly pathway: Pathway;
  private medications: Map<string, FhirResource> | undefined;

  constructor(
    private readonly options: { asOf: AsOfSetting; pathwayConfigFile?: string; medicationsFile?: string; clock?: Date },
  ) {
    this.pathway = new Pathway(loadTerminology(), loadCardTemplates(), loadPathwayConfig(options.pathwayConfigFile));
  }

  evaluate(resources: readonly FhirResource[]): PatientOutcome | undefined {
    return evaluatePatient(resources, {
      pathway: this.pathway,
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
