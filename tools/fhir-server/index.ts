/**
 * The in-process FHIR R4 server (Medplum's engine, in memory) used by tests, `npm run demo` and the benchmarks.
 * It needs the Medplum dev dependencies: never import it from the service.
 */
export { loadFhirDefinitions } from './definitions.js';
export {
  type FhirFault,
  type FhirRequestRecord,
  type FhirServerOptions,
  type RunningFhirServer,
  startFhirServer,
} from './server.js';
