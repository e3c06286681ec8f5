import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { loadCardTemplates } from '../../src/cards/templates.js';
import { asOf } from '../as-of.js';
import type { PatientOutcome } from './evaluate-patient.js';
import { addOutcome, type BurdenFigures, emptyFigures, meanCardsPerActivePatient, mergeFigures, topicRates } from './figures.js';
import { parseShard, readPopulation, type Population, type WorkUnit } from './input.js';
import { Progress } from './progress.js';
import { burdenReportHtml } from './report.js';
import { UnitRunner } from './runner.js';

/**
 * npm run burden -- <input> [--as-of last-encounter|now|<date>] [--out report.html] [--json figures.json]
 *                  [--workers N] [--shard i/n] [--pathway-config file] [--quiet] [--stats stats.json]
 * npm run burden -- --merge <figures.json...> [--out report.html] [--json merged.json]
 *
 * How often each card would fire on a population, before go-live: <input> is a folder of FHIR Bundles (one
 * patient each) or a FHIR Bulk Data export (NDJSON per resource type). Memory stays bounded whatever the size:
 * Bundles are read one at a time, a Bulk export is partitioned by patient on disk first.
 */
const USAGE = `usage: npm run burden -- <folder> [--as-of last-encounter|now|YYYY-MM-DD] [--out report.html] [--json figures.json]
                       [--workers N] [--shard i/n] [--pathway-config file] [--quiet]
       npm run burden -- --merge <figures.json>... [--out report.html] [--json merged.json]`;

interface Options {
  asOfText: string;
  workers: number;
  pathwayConfigFile?: string;
  quiet: boolean;
}

async function runInProcess(pop: Population, o: Options, figures: BurdenFigures, progress: Progress): Promise<void> {
  const runner = new UnitRunner({
    asOf: o.asOfText,
    ...(o.pathwayConfigFile !== undefined ? { pathwayConfigFile: o.pathwayConfigFile } : {}),
    ...(pop.medicationsFile !== undefined ? { medicationsFile: pop.medicationsFile } : {}),
  });
  for (const unit of pop.units) {
    const outcomes = await runner.run(unit);
    for (const outcome of outcomes) addOutcome(figures, outcome);
    progress.add(outcomes.length);
  }
}

async function runInWorkers(pop: Population, o: Options, figures: BurdenFigures, progress: Progress): Promise<void> {
  const queue: WorkUnit[] = [...pop.units];
  const workerData = {
    asOf: o.asOfText,
    clock: new Date().toISOString(),
    ...(o.pathwayConfigFile !== undefined ? { pathwayConfigFile: o.pathwayConfigFile } : {}),
    ...(pop.medicationsFile !== undefined ? { medicationsFile: pop.medicationsFile } : {}),
  };
  const one = (): Promise<void> =>
    new Promise((done, fail) => {
      const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData });
      const next = (): void => {
        const unit = queue.shift();
        if (unit === undefined) {
          void worker.terminate().then(() => {
            done();
          });
          return;
        }
        worker.postMessage(unit);
      };
      worker.on('message', (m: { outcomes?: (PatientOutcome | undefined)[]; error?: string }) => {
        if (m.error !== undefined) {
          void worker.terminate();
          fail(new Error(m.error));
          return;
        }
        for (const outcome of m.outcomes ?? []) addOutcome(figures, outcome);
        progress.add(m.outcomes?.length ?? 0);
        next();
      });
      worker.on('error', fail);
      next();
    });
  await Promise.all(Array.from({ length: Math.min(o.workers, Math.max(1, queue.length)) }, one));
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'as-of': { type: 'string', default: 'last-encounter' },
      out: { type: 'string' },
      json: { type: 'string' },
      workers: { type: 'string', default: '1' },
      shard: { type: 'string' },
      merge: { type: 'boolean', default: false },
      'pathway-config': { type: 'string' },
      quiet: { type: 'boolean', default: false },
      stats: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help || positionals.length === 0) {
    process.stderr.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  let figures: BurdenFigures;
  const started = performance.now();
  if (values.merge) {
    figures = mergeFigures(positionals.map((p) => JSON.parse(readFileSync(resolve(p), 'utf8')) as BurdenFigures));
  } else {
    const input = positionals[0] ?? '';
    const workers = values.workers === 'auto' ? availableParallelism() : Number(values.workers);
    if (!Number.isInteger(workers) || workers < 1)
      throw new Error(`--workers takes a whole number >= 1 or auto, got "${values.workers}"`);
    if (values['as-of'] !== 'now' && values['as-of'] !== 'last-encounter') asOf(values['as-of'], []); // refuse a bad date before reading anything
    const shard = parseShard(values.shard);
    const workDir = mkdtempSync(join(tmpdir(), 'burden-'));
    try {
      const pop = await readPopulation(resolve(input), workDir, shard);
      const o: Options = {
        asOfText: values['as-of'],
        workers,
        quiet: values.quiet,
        ...(values['pathway-config'] !== undefined ? { pathwayConfigFile: resolve(values['pathway-config']) } : {}),
      };
      figures = emptyFigures(
        values['as-of'],
        loadCardTemplates().shared.pathway.version,
        `${String(shard.index)}/${String(shard.count)}`,
      );
      const progress = new Progress(pop.patients, !values.quiet && pop.patients >= 200);
      if (workers === 1) await runInProcess(pop, o, figures, progress);
      else await runInWorkers(pop, o, figures, progress);
      progress.finish();
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  }
  const seconds = (performance.now() - started) / 1000;
  if (values.json !== undefined) writeFileSync(resolve(values.json), `${JSON.stringify(figures, null, 2)}\n`);
  if (values.out !== undefined) writeFileSync(resolve(values.out), await burdenReportHtml(figures));
  const p = figures.patients;
  const usage = process.resourceUsage();
  const stats = {
    seconds,
    patients: p.read + p.unreadable,
    patientsPerSecond: (p.read + p.unreadable) / Math.max(seconds, 1e-9),
    cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000,
    peakRssMb: usage.maxRSS / 1024,
  };
  if (values.stats !== undefined) writeFileSync(resolve(values.stats), `${JSON.stringify(stats)}\n`);
  const lines = [
    `patients read ${String(p.read)} (unreadable ${String(p.unreadable)}), excluded ${String(p.excluded)}, with a hip condition ${String(p.withHipCondition)}: dormant ${String(p.dormant)}, active episode ${String(p.activeEpisode)}`,
    `cards ${String(figures.cards)}; mean per active-episode patient ${meanCardsPerActivePatient(figures).toFixed(2)}; cards outside an active episode ${String(figures.cardsOutsideEpisode)}`,
    ...topicRates(figures)
      .filter((r) => r.patients > 0)
      .map(
        (r) =>
          `  ${r.topic.padEnd(40)} ${String(r.patients).padStart(6)} patients  ${r.per1000.toFixed(1).padStart(7)} per 1,000`,
      ),
    values.merge
      ? `merged ${String(positionals.length)} files`
      : `${stats.patientsPerSecond.toFixed(0)} patients/s in ${seconds.toFixed(1)} s; CPU ${(stats.cpuMs / 1000).toFixed(1)} s; peak RSS ${stats.peakRssMb.toFixed(0)} MB`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`burden: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
