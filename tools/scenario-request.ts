import { loadScenario, scenarioNames } from './fixtures/scenarios.js';
import { scenarioRequest } from './fixtures/requests.js';
import { loadServiceRegistry } from '../src/cds/registry.js';
import { loadTerminology } from '../src/terminology/valuesets.js';

/**
 * Prints the CDS Hooks request an EHR would send for a scenario of fhir-fixtures/scenarios, with full prefetch:
 *   node dist/tools/scenario-request.js <scenario> [--no-prefetch] [--fhir-server <url>]
 */
const args = process.argv.slice(2);
const name = args.find((a) => !a.startsWith('--'));
if (name === undefined || !scenarioNames().includes(name)) {
  process.stderr.write(
    `usage: scenario-request <scenario> [--no-prefetch] [--fhir-server <url>]\nscenarios:\n  ${scenarioNames().join('\n  ')}\n`,
  );
  process.exit(2);
}
const serverIndex = args.indexOf('--fhir-server');
const fhirServer = serverIndex >= 0 ? args[serverIndex + 1] : undefined;
const registry = loadServiceRegistry(loadTerminology());
const request = scenarioRequest(loadScenario(name, new Date()), registry, {
  prefetch: args.includes('--no-prefetch') ? 'none' : 'full',
  ...(fhirServer !== undefined ? { fhirServer } : {}),
});
process.stdout.write(`${JSON.stringify(request, null, 2)}\n`);
