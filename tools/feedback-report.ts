import { ConfigError } from '../src/config/env.js';
import { loadServiceConfig } from '../src/config/service-config.js';
import { feedbackSummary, type FeedbackSummary } from '../src/feedback/store.js';
import { createLogger } from '../src/log.js';
import { Store } from '../src/store/store.js';

/**
 * npm run feedback-report [-- --days N] [--json]
 *
 * Per topic, from the service's database (DATABASE_URL, else the SQLite file, as `npm start` configures it):
 * cards issued, accepted, overridden by reason, and the acceptance rate (accepted / issued), over the last N
 * days (default: as long as the ledger keeps issued cards, ISSUED_CARDS_RETENTION_DAYS).
 */
function usage(message?: string): never {
  if (message !== undefined) process.stderr.write(`${message}\n`);
  process.stderr.write('usage: npm run feedback-report [-- --days N] [--json]\n');
  process.exit(2);
}

export function formatReport(summary: FeedbackSummary): string {
  const rows = summary.topics.map((t) => [
    t.topic,
    String(t.issued),
    String(t.accepted),
    String(t.overridden),
    Object.entries(t.overriddenByReason)
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .map(([reason, n]) => `${reason} ${n}`)
      .join(', ') || '-',
    t.issued > 0 ? `${(100 * t.acceptanceRate).toFixed(1)}%` : '-',
  ]);
  const head = ['topic', 'issued', 'accepted', 'overridden', 'overridden by reason', 'acceptance'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i >= 1 && i <= 3 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const out = [
    `Feedback since ${new Date(summary.sinceMs).toISOString().slice(0, 10)}`,
    '',
    line(head),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
  ];
  if (rows.length === 0) out.push('(no card issued in this period)');
  out.push('', `Feedback for cards this service never issued (counted, not stored): ${summary.unknownCards}`);
  return `${out.join('\n')}\n`;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const daysArg = args.includes('--days') ? args[args.indexOf('--days') + 1] : undefined;
  if (daysArg !== undefined && !/^\d+$/.test(daysArg)) usage('--days takes a whole number');
  let config;
  try {
    config = loadServiceConfig({ LOG_LEVEL: 'warn', ...process.env });
  } catch (err) {
    if (err instanceof ConfigError) usage(`configuration error: ${err.message}`);
    throw err;
  }
  const store = await Store.open({
    url: config.storage.databaseUrl,
    sqliteFile: config.storage.sqliteFile,
    poolSize: 2,
    sqliteDriver: config.storage.sqliteDriver,
    feedbackRetentionDays: config.storage.feedbackRetentionDays,
    issuedCardsRetentionDays: config.storage.issuedCardsRetentionDays,
    log: createLogger({ level: 'warn' }),
    sweepEveryMs: 0,
  });
  try {
    const summary = await feedbackSummary(store, daysArg !== undefined ? Date.now() - Number(daysArg) * 86_400_000 : undefined);
    process.stdout.write(args.includes('--json') ? `${JSON.stringify(summary, null, 2)}\n` : formatReport(summary));
  } finally {
    await store.close();
  }
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`feedback-report: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
