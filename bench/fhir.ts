import { scenarioBundle } from '../src/fixtures/fhir-load.js';
import type { Scenario } from '../src/fixtures/scenarios.js';
import { startFhirServer } from '../src/tools/fhir-server/index.js';

/** The FHIR server of scenario (d): the in-process FHIR engine, seeded with one scenario, slowed by `delayMs`. */
export interface BenchFhirServer {
  url: string;
  close(): Promise<void>;
}

export async function benchFhirServer(options: { delayMs: number; scenario: Scenario }): Promise<BenchFhirServer> {
  const fhir = await startFhirServer({
    delayMs: options.delayMs,
    seed: [scenarioBundle(options.scenario).bundle],
    recordRequests: false,
  });
  return { url: fhir.url, close: () => fhir.close() };
}
