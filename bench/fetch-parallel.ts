import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadServiceConfig } from '../src/config/service-config.js';
import { FhirHttpFetcher } from '../src/fhir/fhir-client.js';
import { fixtureBundles } from '../tools/fixtures/fhir-load.js';
import { scenarioRequest, SERVICE_FOR_HOOK } from '../tools/fixtures/requests.js';
import { loadScenario } from '../tools/fixtures/scenarios.js';
import { createLogger } from '../src/log.js';
import { buildService, type Service } from '../src/service.js';
import { startFhirServer } from '../tools/fhir-server/index.js';
import { preshape } from '../src/http/preshape.js';

/**
 * npm run bench:fetch [-- --delay 20 --calls 40 --scenario radiographs-first-pain-better-by-1-point]
 *
 * The latency of one hook call WITHOUT prefetch, the service fetching its eight prefetch queries from a FHIR server
 * (Medplum's engine in this process, seeded with the scenarios) that adds `--delay` ms to every answer, as a
 * network round trip and a real server's work would: queries sent all at once (the service's default) and one
 * after another (FhirHttpFetcher's `sequential` mode, which exists for this measurement). Calls are made one at a
 * time over HTTP; the same call with full prefetch is the floor. Prints mean, p50 and p90 per mode.
 */

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

async function listen(service: Service): Promise<{ server: Server; url: string }> {
  const server = createServer(preshape(service.app));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

interface Stats {
  mean: number;
  p50: number;
  p90: number;
  min: number;
  max: number;
}

function stats(ms: number[]): Stats {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
  const round = (x: number): number => Math.round(x * 10) / 10;
  return {
    mean: round(s.reduce((a, b) => a + b, 0) / s.length),
    p50: round(at(0.5)),
    p90: round(at(0.9)),
    min: round(s[0] ?? 0),
    max: round(s[s.length - 1] ?? 0),
  };
}

async function main(): Promise<void> {
  const delayMs = Number(arg('delay', '20'));
  const calls = Number(arg('calls', '40'));
  const name = arg('scenario', 'radiographs-first-pain-better-by-1-point');
  const now = new Date();
  const scenario = loadScenario(name, now);
  const fhir = await startFhirServer({
    delayMs,
    seed: fixtureBundles(now, { synthea: false }).map((f) => f.bundle),
    recordRequests: false,
  });
  const config = loadServiceConfig({ NODE_ENV: 'test', FEEDBACK_STORE: 'memory', LOG_LEVEL: 'silent' });
  const modes = [
    { mode: 'full prefetch (floor)', concurrency: 'parallel' as const, prefetch: 'full' as const },
    { mode: 'no prefetch, parallel queries', concurrency: 'parallel' as const, prefetch: 'none' as const },
    { mode: 'no prefetch, sequential queries', concurrency: 'sequential' as const, prefetch: 'none' as const },
  ];
  const rows: { mode: string; stats: Stats }[] = [];
  for (const m of modes) {
    const service = await buildService(config, {
      log: createLogger({ level: 'silent' }),
      fetcher: new FhirHttpFetcher({
        maxPages: config.fhir.maxPages,
        pageSize: config.fhir.pageSize,
        concurrency: m.concurrency,
      }),
    });
    const { server, url } = await listen(service);
    const body = JSON.stringify(
      scenarioRequest(scenario, service.registry, { prefetch: m.prefetch, fhirServer: fhir.url, token: 'bench-token' }),
    );
    const once = async (): Promise<number> => {
      const t0 = performance.now();
      const res = await fetch(`${url}/cds-services/${SERVICE_FOR_HOOK[scenario.hook]}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${m.mode}: the service answered ${res.status}`);
      return performance.now() - t0;
    };
    for (let i = 0; i < 5; i++) await once(); // warm-up: JIT, keep-alive connections
    const ms: number[] = [];
    for (let i = 0; i < calls; i++) ms.push(await once());
    rows.push({ mode: m.mode, stats: stats(ms) });
    await new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
      server.closeAllConnections();
    });
    await service.close();
  }
  await fhir.close();

  process.stdout.write(
    `one hook call (${scenario.hook}, ${name}), ${calls} calls one at a time, FHIR server +${delayMs} ms per answer, 8 prefetch queries\n\n` +
      `| mode | mean ms | p50 ms | p90 ms | min ms | max ms |\n|---|---|---|---|---|---|\n` +
      rows
        .map((r) => `| ${r.mode} | ${r.stats.mean} | ${r.stats.p50} | ${r.stats.p90} | ${r.stats.min} | ${r.stats.max} |`)
        .join('\n') +
      '\n',
  );
  const parallel = rows[1]?.stats.p50 ?? 0;
  const sequential = rows[2]?.stats.p50 ?? 0;
  process.stdout.write(
    `\nparallel queries save ${Math.round(sequential - parallel)} ms at p50 (${(sequential / Math.max(1, parallel)).toFixed(1)}x faster)\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:fetch failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
