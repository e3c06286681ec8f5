import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { FhirResource } from 'fhir/r4.js';
import { randomUUID } from 'node:crypto';
import { loadServiceRegistry } from '../src/cds/registry.js';
import type { CdsRequest } from '../src/cds/types.js';
import { projectPath, readJsonFile } from '../src/data-files.js';
import { buildPrefetch } from '../src/fixtures/prefetch.js';
import { scenarioRequest } from '../src/fixtures/requests.js';
import { loadScenario } from '../src/fixtures/scenarios.js';
import { loadTerminology } from '../src/terminology/valuesets.js';
import { benchFhirServer, type BenchFhirServer } from './fhir.js';

/**
 * npm run bench [-- --duration 10 --connections 32 --only a,b --cpu-prof]
 *
 * Measures the hook path with autocannon on loopback, each scenario against a baseline measured in the same run:
 * a bare node:http server doing the same JSON round trip (bench/baseline-server.ts).
 *   (a) patient-view, full prefetch, a typical scenario patient
 *   (b) patient-view, full prefetch, the largest Synthea record of fhir-fixtures/synthea
 *   (b2) the same record with every resource in prefetch (what a client ignoring the templates' filters sends)
 *   (c) order-select with draft orders (an opioid selected)
 *   (d) patient-view without prefetch: the service queries the in-process FHIR engine, 20 ms added per response
 *   (a2) as (a) with WEB_CONCURRENCY=2 (node:cluster), to measure the multi-core gain
 * Prints p50/p90/p99 latency, requests per second, peak RSS of the service, and each scenario's ratio to the
 * baseline; writes the figures to bench/results/<date>.json. Also measures `npm start` readiness.
 */

interface Args {
  duration: number;
  connections: number;
  only?: Set<string>;
  cpuProf: boolean;
}

function parseArgs(argv: string[]): Args {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const only = get('only');
  return {
    duration: Number(get('duration') ?? 10),
    connections: Number(get('connections') ?? 32),
    ...(only !== undefined ? { only: new Set(only.split(',')) } : {}),
    cpuProf: argv.includes('--cpu-prof'),
  };
}

interface Proc {
  child: ChildProcess;
  port: number;
  stop(): Promise<void>;
}

function start(script: string, env: Record<string, string>, nodeArgs: string[] = []): Promise<Proc> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, script], {
      env: { PATH: process.env['PATH'] ?? '', HOST: '127.0.0.1', PORT: '0', FEEDBACK_STORE: 'memory', ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let buffer = '';
    let resolved = false;
    const onData = (d: Buffer): void => {
      buffer += d.toString();
      for (const line of buffer.split('\n')) {
        const m = /"port":(\d+)/.exec(line);
        if (m?.[1] !== undefined && /listening/.test(line) && !resolved) {
          resolved = true;
          // Keep draining stdout (the service logs every request) without holding it in memory.
          child.stdout?.off('data', onData);
          child.stdout?.resume();
          resolve({
            child,
            port: Number(m[1]),
            stop: () =>
              new Promise((r) => {
                child.once('exit', () => r());
                child.kill('SIGTERM');
              }),
          });
        }
      }
      if (buffer.length > 100_000) buffer = buffer.slice(-10_000);
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => {
      if (!resolved) reject(new Error(`${script} exited with ${code}`));
    });
  });
}

/** Peak resident set size (MB) of a process and its children (cluster workers), from /proc. */
function peakRssMb(pid: number): number {
  const pids = [pid];
  try {
    for (const p of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) pids.push(Number(p));
    }
  } catch {
    // not Linux: only the process itself
  }
  let kb = 0;
  for (const p of pids) {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
    kb += m?.[1] !== undefined ? Number(m[1]) : 0;
  }
  return Math.round(kb / 1024);
}

interface Measured {
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  errors: number;
  non2xx: number;
}

async function load(port: number, path: string, body: string, connections: number, duration: number): Promise<Measured> {
  const run = (seconds: number): Promise<autocannon.Result> =>
    autocannon({
      url: `http://127.0.0.1:${port}${path}`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      connections,
      duration: seconds,
    });
  await run(Math.min(2, duration)); // warm-up: JIT, connection pools
  const r = await run(duration);
  return {
    rps: Math.round(r.requests.average),
    p50: r.latency.p50,
    p90: r.latency.p90,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
  };
}

interface Scenario {
  id: string;
  title: string;
  path: string;
  body: string;
  env?: Record<string, string>;
  fhir?: boolean;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const registry = loadServiceRegistry(loadTerminology());
  const now = new Date();
  const serviceScript = projectPath('dist', 'src', 'server.js');
  const baselineScript = projectPath('dist', 'bench', 'baseline-server.js');

  const typical = loadScenario('radiographs-first-pain-better-by-1-point', now);
  const synthea = readdirSync(projectPath('fhir-fixtures', 'synthea'))
    .filter((f) => f.endsWith('.json'))
    .map((f) => projectPath('fhir-fixtures', 'synthea', f))
    .sort((x, y) => statSync(y).size - statSync(x).size)[0] as string;
  const syntheaResources = (readJsonFile(synthea) as { entry: { resource: FhirResource }[] }).entry.map((e) => e.resource);
  const syntheaPatient = syntheaResources.find((r) => r.resourceType === 'Patient')?.id ?? '';
  const pv = registry.get('hip-pain-patient-view');
  if (pv === undefined) throw new Error('no patient-view service');
  const syntheaRequest: CdsRequest = {
    hook: 'patient-view',
    hookInstance: randomUUID(),
    context: { userId: 'Practitioner/bench', patientId: syntheaPatient },
    prefetch: buildPrefetch(pv, syntheaResources),
  };
  // (b2) the same record with every resource in prefetch, as a client that ignored the templates' filters would
  // send it: the cost of an unfiltered prefetch.
  const byType = new Map<string, FhirResource[]>();
  for (const r of syntheaResources) byType.set(r.resourceType, [...(byType.get(r.resourceType) ?? []), r]);
  const unfiltered: CdsRequest = {
    ...syntheaRequest,
    prefetch: {
      ...syntheaRequest.prefetch,
      ...Object.fromEntries(
        [
          ['conditions', 'Condition'],
          ['observations', 'Observation'],
          ['medications', 'MedicationRequest'],
          ['procedures', 'Procedure'],
          ['diagnosticReports', 'DiagnosticReport'],
          ['imagingStudies', 'ImagingStudy'],
          ['serviceRequests', 'ServiceRequest'],
        ].map(([key, type]) => [
          key,
          {
            resourceType: 'Bundle',
            type: 'searchset',
            entry: [
              ...(byType.get(type as string) ?? []),
              ...(type === 'Observation'
                ? [
                    ...(byType.get('Encounter') ?? []),
                    ...(byType.get('Claim') ?? []),
                    ...(byType.get('ExplanationOfBenefit') ?? []),
                  ]
                : []),
            ].map((resource) => ({ resource })),
          },
        ]),
      ),
    } as CdsRequest['prefetch'],
  };
  const orderSelect = loadScenario('avoid-opioids-tramadol-for-hip-oa', now);

  let fhir: BenchFhirServer | undefined;
  const scenarios: Scenario[] = [
    {
      id: 'a',
      title: 'patient-view, full prefetch, typical patient',
      path: '/cds-services/hip-pain-patient-view',
      body: JSON.stringify(scenarioRequest(typical, registry, { prefetch: 'full' })),
    },
    {
      id: 'b',
      title: `patient-view, full prefetch, largest Synthea record (${(statSync(synthea).size / 1e6).toFixed(1)} MB file)`,
      path: '/cds-services/hip-pain-patient-view',
      body: JSON.stringify(syntheaRequest),
    },
    {
      id: 'b2',
      title: 'as (b) with the whole record in prefetch (no template filters)',
      path: '/cds-services/hip-pain-patient-view',
      body: JSON.stringify(unfiltered),
    },
    {
      id: 'c',
      title: 'order-select with draft orders',
      path: '/cds-services/hip-pain-order-select',
      body: JSON.stringify(scenarioRequest(orderSelect, registry, { prefetch: 'full' })),
    },
    {
      id: 'd',
      title: 'patient-view, no prefetch, FHIR engine +20 ms per response',
      path: '/cds-services/hip-pain-patient-view',
      body: '',
      fhir: true,
    },
    {
      id: 'a2',
      title: 'as (a) with WEB_CONCURRENCY=2',
      path: '/cds-services/hip-pain-patient-view',
      body: '',
      env: { WEB_CONCURRENCY: '2' },
    },
  ];
  const a = scenarios[0] as Scenario;
  const a2 = scenarios.find((s) => s.id === 'a2');
  if (a2 !== undefined) a2.body = a.body;
  const selected = scenarios.filter((s) => args.only === undefined || args.only.has(s.id));

  // npm start readiness: spawn the compiled service until it says it listens.
  const startups: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const p = await start(serviceScript, { LOG_LEVEL: 'info' });
    startups.push(performance.now() - t0);
    await p.stop();
  }
  startups.sort((x, y) => x - y);
  const startupMs = Math.round(startups[2] ?? 0);
  process.stdout.write(`npm start ready in ${startupMs} ms (median of 5; node dist/src/server.js until "listening")\n\n`);

  const results: Record<string, unknown>[] = [];
  for (const s of selected) {
    let body = s.body;
    if (s.fhir === true) {
      fhir ??= await benchFhirServer({ delayMs: 20, scenario: typical });
      body = JSON.stringify(scenarioRequest(typical, registry, { prefetch: 'none', fhirServer: fhir.url, token: 'bench-token' }));
    }
    const baseline = await start(baselineScript, {});
    const base = await load(baseline.port, s.path, body, args.connections, args.duration);
    await baseline.stop();
    const nodeArgs = args.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${projectPath('bench', 'results', 'profiles')}`] : [];
    // Rate limits off: the benchmark is one client on purpose.
    const service = await start(
      serviceScript,
      { LOG_LEVEL: 'info', RATE_LIMIT_PER_ADDRESS: '0', RATE_LIMIT_PER_ISSUER: '0', ...(s.env ?? {}) },
      nodeArgs,
    );
    const svc = await load(service.port, s.path, body, args.connections, args.duration);
    const rss = peakRssMb(service.child.pid ?? 0);
    await service.stop();
    const row = {
      scenario: s.id,
      title: s.title,
      bodyKB: Math.round(Buffer.byteLength(body) / 1024),
      service: { ...svc, peakRssMb: rss },
      baseline: base,
      rpsRatio: Math.round((svc.rps / Math.max(1, base.rps)) * 100) / 100,
    };
    results.push(row);
    process.stdout.write(
      `(${s.id}) ${s.title}, body ${row.bodyKB} KB\n` +
        `    service : ${svc.rps} req/s, p50 ${svc.p50} ms, p90 ${svc.p90} ms, p99 ${svc.p99} ms, peak RSS ${rss} MB${svc.errors + svc.non2xx > 0 ? `, ${svc.errors} errors, ${svc.non2xx} non-2xx` : ''}\n` +
        `    baseline: ${base.rps} req/s, p50 ${base.p50} ms, p90 ${base.p90} ms, p99 ${base.p99} ms\n` +
        `    ratio   : ${row.rpsRatio} of the baseline's requests per second\n\n`,
    );
  }
  await fhir?.close();

  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(totalmem() / 1024 ** 3),
    node: process.version,
  };
  const out = {
    date: new Date().toISOString(),
    machine,
    connections: args.connections,
    durationSeconds: args.duration,
    startupMs,
    results,
  };
  mkdirSync(projectPath('bench', 'results'), { recursive: true });
  const file = join(projectPath('bench', 'results'), `${out.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  process.stdout.write(
    `machine: ${machine.cpus} cores (${machine.cpuModel}), ${machine.memoryGb} GB, Node ${machine.node}\nwritten: ${file}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
