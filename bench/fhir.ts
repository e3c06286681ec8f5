import type { Scenario } from '../src/fixtures/scenarios.js';

/** The FHIR server of scenario (d): filled in once the in-process FHIR engine exists (src/tools/fhir-server). */
export interface BenchFhirServer {
  url: string;
  close(): Promise<void>;
}

export async function benchFhirServer(_options: { delayMs: number; scenario: Scenario }): Promise<BenchFhirServer> {
  throw new Error('scenario (d) needs the in-process FHIR engine (src/tools/fhir-server)');
}
