import type { FhirResource } from 'fhir/r4.js';
import { randomUUID } from 'node:crypto';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';
import type { CdsRequest } from '../src/cds/types.js';
import { loadServiceConfig } from '../src/config/service-config.js';
import { projectPath, readJsonFile } from '../src/data-files.js';
import { createLogger } from '../src/log.js';
import { buildService } from '../src/service.js';
import { buildPrefetch } from '../tools/fixtures/prefetch.js';
import { scenarioRequest } from '../tools/fixtures/requests.js';
import { loadScenario } from '../tools/fixtures/scenarios.js';

/**
 * node dist/bench/pipeline.js [--calls 3000] [--only a,b,c]
 * (with `node --cpu-prof` for a CPU profile of the pipeline alone; `--alloc-profile <file>` writes a sampling
 * profile of everything the measured calls allocate, garbage included, to <file>.<scenario>.heapprofile: open it in
 * Chrome DevTools, Memory tab)
 *
 * The hook pipeline without HTTP, in this process: JSON.parse of the request body, HookService.call (validate,
 * gather, index, facts, rules, cards) and JSON.stringify of the answer, for the bodies of scenarios (a), (b) and
 * (c) of `npm run bench`. Prints the CPU time of one call and the bytes it allocates (the growth of the heap
 * between two calls that no garbage collection separated, averaged), the figures to compare before and after
 * a change of the indexing or rendering code.
 */

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const calls = Number(arg('calls') ?? 3000) || 3000;
/** --alloc-profile <file>: a sampling profile of every allocation of the measured calls (collected ones too). */
const allocProfile = arg('alloc-profile');
const only = arg('only')?.split(',');

const service = await buildService(loadServiceConfig({ NODE_ENV: 'test', FEEDBACK_STORE: 'memory' }), {
  log: createLogger({ level: 'silent' }),
});
const now = new Date();
const pv = service.registry.get('hip-pain-patient-view');
if (pv === undefined) throw new Error('no patient-view service');

const dir = projectPath('fhir-fixtures', 'synthea');
const largest = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => `${dir}/${f}`)
  .sort((x, y) => statSync(y).size - statSync(x).size)[0] as string;
const resources = (readJsonFile(largest) as { entry: { resource: FhirResource }[] }).entry.map((e) => e.resource);
const synthea: CdsRequest = {
  hook: 'patient-view',
  hookInstance: randomUUID(),
  context: { userId: 'Practitioner/bench', patientId: resources.find((r) => r.resourceType === 'Patient')?.id ?? '' },
  prefetch: buildPrefetch(pv, resources),
};

const scenarios = [
  {
    id: 'a',
    service: 'hip-pain-patient-view',
    body: JSON.stringify(
      scenarioRequest(loadScenario('radiographs-first-pain-better-by-1-point', now), service.registry, { prefetch: 'full' }),
    ),
  },
  { id: 'b', service: 'hip-pain-patient-view', body: JSON.stringify(synthea) },
  {
    id: 'c',
    service: 'hip-pain-order-select',
    body: JSON.stringify(
      scenarioRequest(loadScenario('avoid-opioids-tramadol-for-hip-oa', now), service.registry, { prefetch: 'full' }),
    ),
  },
].filter((s) => only === undefined || only.includes(s.id));

const ctx = {
  log: service.log,
  annotate: (): void => undefined,
  now,
  baseUrl: 'http://127.0.0.1:3000',
  checkFhirServer: (): void => undefined,
};

let gcs = 0;
const observer = new PerformanceObserver((list) => {
  gcs += list.getEntries().length;
});
observer.observe({ entryTypes: ['gc'] });
const heapUsed = (): number => getHeapSpaceStatistics().reduce((sum, s) => sum + s.space_used_size, 0);
const post = (session: Session, method: string, params: object): Promise<unknown> =>
  new Promise((resolve, reject) => {
    session.post(method, params, (err, result) => {
      if (err !== null) reject(err);
      else resolve(result);
    });
  });
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

for (const s of scenarios) {
  const n = s.id === 'b' ? Math.max(50, Math.round(calls / 20)) : calls;
  const once = async (): Promise<number> => {
    const answer = await service.hooks.call(s.service, JSON.parse(s.body) as unknown, ctx);
    return JSON.stringify(answer).length;
  };
  let answerBytes = 0;
  for (let i = 0; i < Math.min(n, 500); i++) answerBytes = await once(); // warm-up: JIT
  const session = allocProfile !== undefined ? new Session() : undefined;
  if (session !== undefined) {
    session.connect();
    await post(session, 'HeapProfiler.startSampling', {
      samplingInterval: 4096,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  }
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < n; i++) await once();
  const cpu = process.cpuUsage(cpu0);
  if (session !== undefined && allocProfile !== undefined) {
    const { profile } = (await post(session, 'HeapProfiler.stopSampling', {})) as { profile: unknown };
    writeFileSync(`${allocProfile}.${s.id}.heapprofile`, JSON.stringify(profile));
    session.disconnect();
  }
  // Allocation: heap growth over one call, counted only when no GC ran during it (GC entries arrive on a tick).
  const samples: number[] = [];
  for (let i = 0; i < Math.min(n, 400); i++) {
    await tick();
    const g = gcs;
    const h0 = heapUsed();
    await once();
    const h1 = heapUsed();
    await tick();
    if (gcs === g && h1 > h0) samples.push(h1 - h0);
  }
  samples.sort((x, y) => x - y);
  const median = samples[Math.floor(samples.length / 2)] ?? NaN;
  process.stdout.write(
    `(${s.id}) ${s.service}, body ${Math.round(s.body.length / 1024)} KB, answer ${Math.round(answerBytes / 1024)} KB: ` +
      `${Math.round((cpu.user + cpu.system) / n)} µs CPU per call (${n} calls), ` +
      `${Math.round(median / 1024)} KB allocated per call (median of ${samples.length} calls without GC)\n`,
  );
}
observer.disconnect();
await service.close();
