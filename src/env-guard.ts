/**
 * Imported first by the service: fhir-kit-client logs request headers, the EHR's Bearer token included, through
 * the `debug` package when DEBUG names it. The service no longer calls FHIR servers through it (src/fhir/transport.ts
 * uses undici directly), but it is still installed: whatever DEBUG says, its namespaces are switched off before
 * that package reads the variable, so no token can reach stderr.
 */
const debugVar = process.env['DEBUG'];
if (debugVar !== undefined && debugVar.trim() !== '') process.env['DEBUG'] = `${debugVar},-fhir-kit-client:*`;

export {};
