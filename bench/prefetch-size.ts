import type { FhirResource } from 'fhir/r4.js';
import { randomUUID } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { loadServiceConfig } from '../src/config/service-config.js';
import type { CdsRequest } from '../src/cds/types.js';
import { projectPath, readJsonFile } from '../src/data-files.js';
import { createLogger } from '../src/log.js';
import { buildService } from '../src/service.js';
import { buildPrefetch } from '../tools/fixtures/prefetch.js';

/**
 * node dist/bench/prefetch-size.js [--calls 300]
 *
 * What the prefetch templates cost on the largest Synthea record of fhir-fixtures/synthea: the size of the
 * patient-view request with the prefetch the templates select (built as a conformant EHR would, by
 * tools/fixtures/prefetch.ts), per key, and the CPU time of one call in process (the request body parsed, then
 * validation, gathering, indexing, rules, cards: no HTTP), the mean over `--calls` calls after a warm-up.
 * docs/performance.md compares the short templates with the code-filtered ones they replaced (run the same file
 * of an earlier build for "before").
 */

const calls = Number(process.argv[process.argv.indexOf('--calls') + 1] ?? 300) || 300;
const dir = projectPath('fhir-fixtures', 'synthea');
const largest = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => ({ file: `${dir}/${f}`, size: statSync(`${dir}/${f}`).size }))
  .sort((a, b) => b.size - a.size)[0];
if (largest === undefined) throw new Error('no Synthea record');
const resources = (readJsonFile(largest.file) as { entry: { resource: FhirResource }[] }).entry.map((e) => e.resource);
const patientId = resources.find((r) => r.resourceType === 'Patient')?.id ?? '';

const service = await buildService(loadServiceConfig({ NODE_ENV: 'test', FEEDBACK_STORE: 'memory' }), {
  log: createLogger({ level: 'silent' }),
});
const definition = service.registry.get('hip-pain-patient-view');
if (definition === undefined) throw new Error('no patient-view service');
const prefetch = buildPrefetch(definition, resources);
const request: CdsRequest = {
  hook: 'patient-view',
  hookInstance: randomUUID(),
  context: { userId: 'Practitioner/bench', patientId },
  prefetch,
};
const text = JSON.stringify(request);
const perKey = Object.fromEntries(
  Object.entries(prefetch).map(([k, v]) => [
    k,
    { bytes: JSON.stringify(v).length, entries: v?.resourceType === 'Bundle' ? (v.entry ?? []).length : 1 },
  ]),
);
const templates = Object.fromEntries(Object.entries(definition.prefetch).map(([k, t]) => [k, t.length]));

const ctx = {
  log: service.log,
  annotate: (): void => undefined,
  now: new Date(),
  checkFhirServer: (): void => undefined,
};
let cards = 0;
for (let i = 0; i < 30; i++) cards = (await service.hooks.call('hip-pain-patient-view', JSON.parse(text), ctx)).cards.length;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
for (let i = 0; i < calls; i++) await service.hooks.call('hip-pain-patient-view', JSON.parse(text), ctx);
const cpu = process.cpuUsage(cpu0);
const wall = performance.now() - t0;
await service.close();

console.log(
  JSON.stringify(
    {
      record: largest.file.split('/').pop(),
      fileBytes: largest.size,
      requestBytes: text.length,
      templateChars: templates,
      perKey,
      cards,
      calls,
      cpuMicrosPerCall: Math.round((cpu.user + cpu.system) / calls),
      wallMicrosPerCall: Math.round((wall * 1000) / calls),
    },
    null,
    2,
  ),
);
