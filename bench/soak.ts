import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadServiceRegistry } from '../src/cds/registry.js';
import { projectPath } from '../src/data-files.js';
import { loadTerminology } from '../src/terminology/valuesets.js';
import { scenarioRequest } from '../tools/fixtures/requests.js';
import { loadScenario } from '../tools/fixtures/scenarios.js';
import { benchIssuer } from './jwt.js';

/**
 * npm run bench:soak [-- --seconds 60 --rate 500 --workers 2]
 *
 * A steady load on PostgreSQL (BENCH_DATABASE_URL or TEST_DATABASE_URL): patient-view with full prefetch and a
 * fresh JWT per call (the replay check), rate limits on, WEB_CONCURRENCY workers, at a fixed rate. Prints
 * errors, non-2xx answers, p50/p99 latency and the service's RSS (all processes) at start and at the end;
 * writes bench/results/soak-<date>.json.
 */
const argv = process.argv.slice(2);
const arg = (name: string, fallback: number): number => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const seconds = arg('seconds', 60);
const rate = arg('rate', 500);
const workers = arg('workers', 2);

function pidsOf(root: number): number[] {
  const out = [root];
  for (const p of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === root) out.push(Number(p));
    } catch {
      // gone
    }
  }
  return out;
}

function rssMb(root: number): number {
  let kb = 0;
  for (const p of pidsOf(root)) {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
    kb += m?.[1] !== undefined ? Number(m[1]) : 0;
  }
  return Math.round(kb / 1024);
}

async function main(): Promise<void> {
  const url = process.env['BENCH_DATABASE_URL'] ?? process.env['TEST_DATABASE_URL'];
  if (url === undefined) throw new Error('needs BENCH_DATABASE_URL (or TEST_DATABASE_URL): a PostgreSQL database');
  const issuer = benchIssuer();
  const registry = loadServiceRegistry(loadTerminology());
  const body = JSON.stringify(
    scenarioRequest(loadScenario('radiographs-first-pain-better-by-1-point', new Date()), registry, { prefetch: 'full' }),
  );
  const path = '/cds-services/hip-pain-patient-view';
  const child = spawn(process.execPath, ['--max-semi-space-size=8', projectPath('dist', 'src', 'server.js')], {
    env: {
      PATH: process.env['PATH'] ?? '',
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'info',
      WEB_CONCURRENCY: String(workers),
      DATABASE_URL: url,
      RATE_LIMIT_PER_ADDRESS: '100000000',
      RATE_LIMIT_PER_ISSUER: '100000000',
      ...issuer.env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // With workers, each says it listens (on the same port); wait for all.
  const port = await new Promise<number>((resolve, reject) => {
    let buffer = '';
    let seen = 0;
    child.stdout.on('data', (d: Buffer) => {
      buffer += d.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        const m = /"port":(\d+)/.exec(line);
        if (m?.[1] !== undefined && line.includes('listening') && ++seen === workers) resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => {
      reject(new Error(`service exited with ${code}`));
    });
  });
  const rssStart = rssMb(child.pid ?? 0);
  const result = await autocannon({
    url: `http://127.0.0.1:${port}${path}`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections: 32,
    overallRate: rate,
    duration: seconds,
    requests: [
      {
        setupRequest: (req: autocannon.Request): autocannon.Request => ({
          ...req,
          headers: { ...req.headers, authorization: issuer.authorization(path) },
        }),
      },
    ],
  });
  const rssEnd = rssMb(child.pid ?? 0);
  child.kill('SIGTERM');
  const out = {
    date: new Date().toISOString(),
    node: process.version,
    seconds,
    targetRate: rate,
    workers,
    engine: 'postgres',
    requests: result.requests.total,
    rps: Math.round(result.requests.average),
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    rssStartMb: rssStart,
    rssEndMb: rssEnd,
  };
  process.stdout.write(
    `${seconds} s at ${rate} req/s, ${workers} workers, PostgreSQL: ${out.requests} requests (${out.rps} req/s), ${out.errors} errors, ${out.non2xx} non-2xx, p50 ${out.p50} ms, p99 ${out.p99} ms, max ${out.max} ms; RSS ${rssStart} MB at start, ${rssEnd} MB at the end (all processes)\n`,
  );
  mkdirSync(projectPath('bench', 'results'), { recursive: true });
  const file = join(projectPath('bench', 'results'), `soak-${out.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  process.stdout.write(`written: ${file}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`soak failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
