import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../src/log.js';
import { Store } from '../src/store/store.js';
import { feedbackRow } from '../tools/fixtures/feedback-row.js';

/**
 * npm run bench:storage [-- --n 2000]
 *
 * What each database operation of the hot path costs, one after another (latency of one call, µs, mean and
 * p99), on the SQLite file, in-memory SQLite, and PostgreSQL (BENCH_DATABASE_URL or TEST_DATABASE_URL):
 * the replay check (the only one a hook call waits for), the quiet-period read (in parallel with data
 * gathering), a rate-limit count (sent after the decision), a ledger batch of 10 cards (after the answer), and
 * one feedback item (the feedback endpoint).
 */
const argv = process.argv.slice(2);
const n = Number(argv[argv.indexOf('--n') + 1] ?? 2000) || 2000;

async function time(label: string, f: (i: number) => Promise<unknown>): Promise<string> {
  const samples: number[] = [];
  for (let i = 0; i < Math.min(200, n); i++) await f(-1 - i); // warm-up
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await f(i);
    samples.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  samples.sort((a, b) => a - b);
  const mean = samples.reduce((s, x) => s + x, 0) / samples.length;
  const p99 = samples[Math.floor(samples.length * 0.99)] ?? 0;
  return `${label.padEnd(34)} mean ${mean.toFixed(0).padStart(5)} µs   p99 ${p99.toFixed(0).padStart(6)} µs`;
}

async function main(): Promise<void> {
  const pg = process.env['BENCH_DATABASE_URL'] ?? process.env['TEST_DATABASE_URL'];
  const engines: [string, string | undefined, string][] = [
    ['SQLite file', undefined, join(mkdtempSync(join(tmpdir(), 'bench-ops-')), 'ops.sqlite')],
    ['SQLite in memory', undefined, ':memory:'],
    ...(pg !== undefined ? ([['PostgreSQL', pg, ':memory:']] as [string, string, string][]) : []),
  ];
  for (const [name, url, sqliteFile] of engines) {
    const store = await Store.open({
      url,
      sqliteFile,
      poolSize: 4,
      feedbackRetentionDays: 365,
      issuedCardsRetentionDays: 30,
      log: createLogger({ level: 'silent' }),
      sweepEveryMs: 0,
    });
    const run = randomUUID().slice(0, 8);
    const now = Date.now();
    process.stdout.write(`${name} (${store.driver})\n`);
    const lines = [
      await time('replay check (claimJti)', (i) => store.claimJti(`bench|${run}|${i}`, now + 300_000, now)),
      await time('quiet periods of a patient', (i) => store.quietTopics(`patient-${i % 100}`, now)),
      await time('rate-limit count (1 key)', () => store.countRequests([{ key: `bench:${run}`, n: 1 }], Date.now(), 60_000)),
      await time('ledger batch (10 cards)', (i) =>
        store.recordIssued(
          Array.from({ length: 10 }, (_, j) => ({
            uuid: `${run}-${i}-${j}`,
            service_id: 'hip-pain-patient-view',
            topic: 'radiographs-first',
            patient_hash: 'p',
            issued_at: now,
          })),
        ),
      ),
      await time('feedback item (transaction)', (i) =>
        store.saveFeedback([
          {
            row: { ...feedbackRow(`${run}-${i}`), received_at: now },
            quiet: {
              patient_hash: `patient-${i % 100}`,
              topic: 'radiographs-first',
              until_ms: now + 86_400_000,
              reason: 'bench',
            },
          },
        ]),
      ),
    ];
    process.stdout.write(`${lines.map((l) => `  ${l}`).join('\n')}\n\n`);
    await store.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:storage failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
