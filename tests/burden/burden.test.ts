import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CdsRequest } from '../../src/cds/types.js';
import { projectPath } from '../../src/data-files.js';
import { ALL_TOPICS } from '../../src/pathway/topics.js';
import { type BurdenFigures, mergeFigures } from '../../tools/burden/figures.js';
import { bundleFiles, readBundleFile } from '../../tools/burden/input.js';
import { buildPrefetch } from '../../tools/fixtures/prefetch.js';
import { cds } from '../helpers/cds-client.js';
import { testService, type TestService } from '../helpers/service.js';
import { writeBundles } from '../../bench/population.js';

/**
 * npm run burden: the population figures agree with what the service answers chart by chart; a Bulk export, the
 * worker threads and the shards (merged) give the same figures as one pass over the Bundles.
 */
const SYNTHEA = projectPath('fhir-fixtures', 'synthea');
const CLI = projectPath('dist', 'tools', 'burden', 'cli.js');
let work = '';
let service: TestService;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'burden-test-'));
  service = await testService();
});
afterAll(async () => {
  await service.close();
  rmSync(work, { recursive: true, force: true });
});

function burden(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => {
      resolve({ code, stdout, stderr });
    });
  });
}

async function figures(args: string[]): Promise<BurdenFigures> {
  const out = join(work, `${randomUUID()}.json`);
  const r = await burden([...args, '--json', out, '--quiet']);
  expect([r.code, r.stderr]).toEqual([0, '']);
  return JSON.parse(readFileSync(out, 'utf8')) as BurdenFigures;
}

/** What the figures should be: each Synthea chart sent to the service (patient-view, full prefetch). */
async function expectedFromTheService(): Promise<{ topics: Record<string, number>; cards: number; read: number }> {
  const svc = service.registry.get('hip-pain-patient-view');
  if (svc === undefined) throw new Error('no service');
  const topics: Record<string, number> = Object.fromEntries(ALL_TOPICS.map((t) => [t, 0]));
  let cards = 0;
  let read = 0;
  for (const file of bundleFiles(SYNTHEA)) {
    const resources = readBundleFile(file) ?? [];
    const patientId = resources.find((r) => r.resourceType === 'Patient')?.id ?? '';
    const req: CdsRequest = {
      hook: 'patient-view',
      hookInstance: randomUUID(),
      context: { userId: 'Practitioner/burden', patientId },
      prefetch: buildPrefetch(svc, resources),
    };
    const res = await cds(service.app).hook('hip-pain-patient-view', req);
    for (const c of res.body.cards) topics[c.source.topic?.code ?? ''] = (topics[c.source.topic?.code ?? ''] ?? 0) + 1;
    cards += res.body.cards.length;
    read++;
  }
  return { topics, cards, read };
}

function writeBulkExport(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const byType = new Map<string, string[]>();
  for (const file of bundleFiles(SYNTHEA)) {
    for (const r of readBundleFile(file) ?? []) {
      const lines = byType.get(r.resourceType) ?? [];
      lines.push(JSON.stringify(r));
      byType.set(r.resourceType, lines);
    }
  }
  for (const [type, lines] of byType) writeFileSync(join(dir, `${type}.ndjson`), `${lines.join('\n')}\n`);
}

describe('npm run burden', () => {
  test('on the Synthea folder, as of now, the figures are the sum of what the service answers per chart', async () => {
    const f = await figures([SYNTHEA, '--as-of', 'now']);
    const expected = await expectedFromTheService();
    expect(f.patients.read).toBe(expected.read);
    expect(f.cards).toBe(expected.cards);
    expect(f.topics).toEqual(expected.topics);
    expect(f.cardsPerPatient.reduce((a, b) => a + b, 0)).toBe(expected.read);
    expect(f.cardsPerPatient.reduce((a, b, i) => a + b * i, 0)).toBe(expected.cards);
    expect(f.patients.excluded).toBeGreaterThan(0); // Dorris (paediatric) and Dennis (deceased)
  }, 60_000);

  test('a Bulk Data export (NDJSON per type), worker threads and shards give the same figures', async () => {
    const base = await figures([SYNTHEA, '--as-of', 'last-encounter']);
    const bulk = join(work, 'bulk');
    writeBulkExport(bulk);
    const fromBulk = await figures([bulk, '--as-of', 'last-encounter']);
    const withWorkers = await figures([SYNTHEA, '--as-of', 'last-encounter', '--workers', '2']);
    const strip = (f: BurdenFigures): BurdenFigures => ({ ...f, shards: [] });
    expect(strip(fromBulk)).toEqual(strip(base));
    expect(strip(withWorkers)).toEqual(strip(base));

    const parts = await Promise.all(
      ['1/3', '2/3', '3/3'].map((s) => figures([SYNTHEA, '--as-of', 'last-encounter', '--shard', s])),
    );
    expect(parts.map((p) => p.patients.read).reduce((a, b) => a + b, 0)).toBe(base.patients.read);
    const merged = mergeFigures(parts);
    expect(strip(merged)).toEqual(strip(base));
    expect(merged.shards).toEqual(['1/3', '2/3', '3/3']);
    expect(() => mergeFigures([parts[0] as BurdenFigures, parts[0] as BurdenFigures])).toThrow('shard 1/3 is given twice');

    // --merge from files, and the merged report.
    const files = parts.map((p, i) => {
      const file = join(work, `shard-${String(i)}.json`);
      writeFileSync(file, JSON.stringify(p));
      return file;
    });
    const out = join(work, 'merged.html');
    const r = await burden(['--merge', ...files, '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`patients read ${String(base.patients.read)}`);
    const html = readFileSync(out, 'utf8');
    expect(html.match(/<svg/g)?.length).toBe(2);
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
  }, 120_000);

  test('a large input shows a progress bar with rate and ETA on stderr', async () => {
    const dir = join(work, 'population');
    writeBundles(dir, 220);
    const r = await burden([dir, '--json', join(work, 'p.json')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/\[#+\.*\] \d+\/220 patients +\d+\/s +ETA \d+ s/);
    expect(r.stderr).toContain('220/220 patients');
  }, 120_000);

  test('bad arguments are refused with a message naming them', async () => {
    expect((await burden([SYNTHEA, '--shard', '4/3'])).stderr).toContain('--shard takes i/n');
    expect((await burden([SYNTHEA, '--as-of', 'yesterday'])).stderr).toContain('--as-of wants "last-encounter" or a date');
    expect((await burden([])).code).toBe(2);
  });
});

describe('deploy/burden/indexed-job.yaml: a population split across machines', () => {
  test('is a valid Kubernetes Indexed Job whose pods run one shard each and write figures to merge', async () => {
    const { Job } = await import('kubernetes-models/batch/v1/Job');
    const { parse } = await import('yaml');
    const manifest = parse(readFileSync(projectPath('deploy', 'burden', 'indexed-job.yaml'), 'utf8')) as {
      kind: string;
      spec: {
        completionMode: string;
        completions: number;
        parallelism: number;
        template: { spec: { containers: { args: string[] }[] } };
      };
    };
    expect(() => {
      new Job(manifest as never).validate();
    }).not.toThrow();
    expect(manifest.spec.completionMode).toBe('Indexed');
    const args = manifest.spec.template.spec.containers[0]?.args.join(' ') ?? '';
    expect(args).toContain('node dist/tools/burden/cli.js');
    expect(args).toContain(`--shard "$((JOB_COMPLETION_INDEX + 1))/${String(manifest.spec.completions)}"`);
    expect(args).toMatch(/--json "\/data\/results\/shard-\$\{JOB_COMPLETION_INDEX\}\.json"/);
  });
});
