import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectPath } from '../src/data-files.js';
import { UnitRunner } from '../tools/burden/runner.js';
import { replicate, templates, writeBulk, writeBundles } from './population.js';

/**
 * npm run bench:burden [-- --patients 10000 --bulk-patients 2000]
 *
 * The burden report's speed on a generated population (bench/population.ts: Synthea records replicated with new
 * ids and shifted dates):
 *   in-process  the pathway on one core, records already in memory (what one worker does per patient)
 *   floor       reading and parsing the same Bundle files and nothing else, in its own process (the I/O floor)
 *   cli w=1/2   `npm run burden` on the folder with --workers 1 and 2 (processes; patients/s, CPU, peak RSS)
 *   bulk w=2    the same on a Bulk Data export (NDJSON per type), partition on disk included
 * Targets: >= 300 records/s per core in-process, scaling with --workers, peak RSS under 500 MB.
 */
function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

interface Stats {
  seconds: number;
  patients: number;
  patientsPerSecond: number;
  cpuMs: number;
  peakRssMb: number;
}

function runNode(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${args.join(' ')} exited ${String(code)}`));
    });
  });
}

async function cli(input: string, workers: number, dir: string): Promise<Stats> {
  const stats = join(dir, `stats-${String(workers)}-${String(Date.now())}.json`);
  await runNode([
    projectPath('dist', 'tools', 'burden', 'cli.js'),
    input,
    '--workers',
    String(workers),
    '--quiet',
    '--stats',
    stats,
  ]);
  return JSON.parse(readFileSync(stats, 'utf8')) as Stats;
}

const FLOOR = `
const fs = require('node:fs'); const path = require('node:path');
const dir = process.argv[1]; const t = performance.now(); let n = 0;
for (const f of fs.readdirSync(dir)) { if (!f.endsWith('.json')) continue; JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')); n++; }
const s = (performance.now() - t) / 1000; const u = process.resourceUsage();
process.stdout.write(JSON.stringify({ seconds: s, patients: n, patientsPerSecond: n / s, cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000, peakRssMb: u.maxRSS / 1024 }));
`;

async function main(): Promise<void> {
  const patients = arg('patients', 10_000);
  const bulkPatients = arg('bulk-patients', 2_000);
  const work = mkdtempSync(join(tmpdir(), 'bench-burden-'));
  try {
    // In-process: one core, records in memory; only the evaluation is timed.
    const runner = new UnitRunner({ asOf: 'last-encounter' });
    const ts = templates();
    const inProcessN = Math.min(patients, 3_000);
    let evalMs = 0;
    const cpu0 = process.cpuUsage();
    let generationCpu = 0;
    for (let i = 0; i < inProcessN; i++) {
      const g0 = process.cpuUsage();
      const record = replicate(ts[i % ts.length] ?? '[]', i);
      const g = process.cpuUsage(g0);
      generationCpu += g.user + g.system;
      const t = performance.now();
      runner.evaluate(record);
      evalMs += performance.now() - t;
    }
    const cpu = process.cpuUsage(cpu0);
    const inProcess = {
      patients: inProcessN,
      perSecond: inProcessN / (evalMs / 1000),
      cpuUsPerPatient: (cpu.user + cpu.system - generationCpu) / inProcessN,
      heapMb: process.memoryUsage().heapUsed / 1e6,
    };

    const bundles = join(work, 'bundles');
    const g = performance.now();
    writeBundles(bundles, patients);
    const generated = (performance.now() - g) / 1000;
    const floor = JSON.parse(await runNode(['-e', FLOOR, bundles])) as Stats;
    const w1 = await cli(bundles, 1, work);
    const w2 = await cli(bundles, 2, work);
    rmSync(bundles, { recursive: true, force: true });
    const bulk = join(work, 'bulk');
    await writeBulk(bulk, bulkPatients);
    const b2 = await cli(bulk, 2, work);

    const row = (name: string, s: Stats): string =>
      `| ${name} | ${String(s.patients)} | ${s.patientsPerSecond.toFixed(0)} | ${((1000 * s.cpuMs) / Math.max(1, s.patients)).toFixed(0)} µs | ${s.seconds.toFixed(1)} s | ${s.peakRssMb.toFixed(0)} MB | ${(s.patientsPerSecond / floor.patientsPerSecond).toFixed(2)} |`;
    const lines = [
      `burden benchmark: ${String(cpus().length)} cores, Node ${process.version}; population generated in ${generated.toFixed(1)} s`,
      '',
      `in-process (one core, records in memory): ${inProcess.perSecond.toFixed(0)} records/s, ${inProcess.cpuUsPerPatient.toFixed(0)} µs CPU per record, heap ${inProcess.heapMb.toFixed(0)} MB (target >= 300 records/s)`,
      '',
      '| run | patients | patients/s | CPU per patient | wall | peak RSS | ratio to floor |',
      '|---|---|---|---|---|---|---|',
      row('floor: read + JSON.parse only', floor),
      row('npm run burden --workers 1', w1),
      row('npm run burden --workers 2', w2),
      row(`Bulk export, --workers 2 (${String(bulkPatients)})`, b2),
      '',
      `scaling 1 -> 2 workers: x${(w2.patientsPerSecond / w1.patientsPerSecond).toFixed(2)}; peak RSS target < 500 MB: ${Math.max(w1.peakRssMb, w2.peakRssMb, b2.peakRssMb) < 500 ? 'met' : 'MISSED'}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    const results = projectPath('bench', 'results');
    mkdirSync(results, { recursive: true });
    writeFileSync(
      join(results, `burden-${new Date().toISOString().replace(/[:.]/g, '-')}.json`),
      `${JSON.stringify({ node: process.version, cores: cpus().length, patients, inProcess, floor, w1, w2, bulk: b2 }, null, 2)}\n`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
