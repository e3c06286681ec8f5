import { scenarioBundle } from '../tools/fixtures/fhir-load.js';
import { loadScenario } from '../tools/fixtures/scenarios.js';
import { startFhirServer } from '../tools/fhir-server/index.js';

/**
 * The FHIR server of benchmark scenario (d), in a process of its own so that it does not share an event loop
 * with the load generator: the in-process FHIR engine seeded with one scenario, every answer delayed by
 * FHIR_DELAY_MS.
 */
const scenario = loadScenario(process.env['SCENARIO'] ?? 'radiographs-first-pain-better-by-1-point', new Date());
const fhir = await startFhirServer({
  delayMs: Number(process.env['FHIR_DELAY_MS'] ?? 20),
  seed: [scenarioBundle(scenario).bundle],
  recordRequests: false,
});
process.stdout.write(`${JSON.stringify({ msg: 'fhir listening', port: fhir.port, url: fhir.url })}\n`);
process.on('SIGTERM', () => {
  void fhir.close().then(() => process.exit(0));
});
