import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { Bundle, CapabilityStatement } from 'fhir/r4.js';
import { projectPath } from '../../src/data-files.js';
import { syntheaBundle, syntheaNames } from '../../tools/fixtures/fhir-load.js';
import { SERVICE_FOR_HOOK } from '../../tools/fixtures/requests.js';
import { loadScenario, scenarioNames } from '../../tools/fixtures/scenarios.js';
import { startFhirServer, type RunningFhirServer } from '../../tools/fhir-server/index.js';
import { checkCards, topicsOf } from '../helpers/cds-client.js';

/**
 * The tools around data gathering, run as a user runs them (compiled, as processes): `npm run load-fixtures`
 * into a FHIR server, `npm run demo` (its curl commands must give the scenarios' cards; its FHIR server must answer
 * what the CDS Hooks sandbox asks), and docker-compose.yml (no Docker engine here: the file is parsed and what it
 * runs must exist).
 */

const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

function run(
  script: string,
  args: string[],
): { child: ChildProcess; out: () => string; err: () => string; done: Promise<number | null> } {
  const child = spawn(process.execPath, [projectPath('dist', 'tools', script), ...args], {
    env: { PATH: process.env['PATH'] ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      resolve(code);
    }),
  );
  return { child, out: () => out, err: () => err, done };
}

async function waitFor<T>(f: () => T | undefined, ms: number): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A JSON answer; the caller says what its body is (`as JsonAnswer<Bundle>`). */
interface JsonAnswer<T> {
  status: number;
  body: T;
  headers: Headers;
}

async function json(url: string, init?: RequestInit): Promise<JsonAnswer<unknown>> {
  const res = await fetch(url, init);
  return { status: res.status, body: await res.json(), headers: res.headers };
}

describe('load-fixtures', () => {
  let fhir: RunningFhirServer;
  beforeAll(async () => {
    fhir = await startFhirServer();
  });
  afterAll(() => fhir.close());

  test('loads every scenario and Synthea record, ids kept, references rewritten', async () => {
    const p = run('load-fixtures.js', ['--fhir', fhir.url, '--token', 'loader-token']);
    expect(await p.done).toBe(0);
    const names = scenarioNames();
    expect(p.out()).toContain(`loaded ${names.length + syntheaNames().length} patients`);
    expect(fhir.requests.every((r) => r.method === 'POST' && r.path === '' && r.authorization === 'Bearer loader-token')).toBe(
      true,
    );
    const s = loadScenario('radiographs-first-pain-better-by-1-point', new Date());
    const conditions = (await json(`${fhir.url}/Condition?patient=${s.patientId}`)) as JsonAnswer<Bundle>;
    expect(conditions.body.total).toBe(s.resources.filter((r) => r.resourceType === 'Condition').length);
    // A Synthea record: its Conditions point at its Patient by id, as on any server.
    const first = syntheaBundle(syntheaNames()[0] as string);
    const expected = (first.bundle.entry ?? []).filter((e) => e.resource?.resourceType === 'Condition').length;
    const synthea = (await json(`${fhir.url}/Condition?patient=${first.patientId}&_count=1000`)) as JsonAnswer<Bundle>;
    expect(expected).toBeGreaterThan(0);
    expect(synthea.body.total).toBe(expected);
  }, 60_000);

  test('a server that refuses: exit 1 naming the fixture; no server: usage', async () => {
    fhir.setFault(() => ({
      status: 500,
      body: '{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"exception","diagnostics":"disk full"}]}',
    }));
    try {
      const p = run('load-fixtures.js', ['--fhir', fhir.url, '--only', 'scenarios']);
      expect(await p.done).toBe(1);
      expect(p.err()).toMatch(/^load-fixtures: scenario [a-z0-9-]+: the FHIR server answered 500: disk full\n$/);
    } finally {
      fhir.setFault(undefined);
    }
    const usage = run('load-fixtures.js', []);
    expect(await usage.done).toBe(2);
    expect(usage.err()).toMatch(/^usage: load-fixtures --fhir <FHIR base URL>/);
  }, 30_000);
});

describe('npm run demo', () => {
  let demo: ReturnType<typeof run>;
  let output: string;
  beforeAll(async () => {
    demo = run('demo.js', ['--port', '0', '--fhir-port', '0', '--dir', projectPath('var', 'demo-test')]);
    output = await waitFor(() => (/^ready: /m.test(demo.out()) ? demo.out() : undefined), 30_000);
  }, 40_000);
  afterAll(async () => {
    if (demo.child.exitCode === null) {
      demo.child.kill('SIGTERM');
      expect(await demo.done).toBe(0);
    }
  });

  const fhirUrl = (): string => /^FHIR server +(\S+)/m.exec(output)?.[1] ?? '';

  test.each([
    'radiographs-first-pain-better-by-1-point',
    'avoid-opioids-tramadol-for-hip-oa',
    'acetaminophen-max-dose-2-tablets-every-4-hours',
  ])('the curl command of %s gives its cards (the service fetches the data from the demo FHIR server)', async (name) => {
    const s = loadScenario(name, new Date());
    const block = new RegExp(`^${name}  \\[${s.hook}\\].*\\n  (curl .*)\\n  sandbox: (\\S+)$`, 'm').exec(output);
    expect(block).not.toBeNull();
    const [, curl = '', sandbox = ''] = block ?? [];
    const m = /^curl -s (\S+) -H 'Content-Type: application\/json' --data @(\S+)$/.exec(curl);
    expect(m?.[1]).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/cds-services/${SERVICE_FOR_HOOK[s.hook]}$`));
    const body = readFileSync(m?.[2] ?? '', 'utf8');
    expect(JSON.parse(body)).not.toHaveProperty('prefetch');
    const res = await fetch(m?.[1] ?? '', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    expect(res.status).toBe(200);
    const cards: unknown = await res.json();
    checkCards(cards);
    expect(topicsOf(cards.cards)).toEqual([...s.expect.topics].sort());

    const params = new URL(sandbox).searchParams;
    expect(sandbox.startsWith('https://sandbox.cds-hooks.org/?')).toBe(true);
    expect(params.get('serviceDiscoveryURL')).toBe(`${m?.[1]?.split('/cds-services/')[0] ?? ''}/cds-services`);
    expect(params.get('fhirServiceUrl')).toBe(fhirUrl());
    expect(params.get('patientId')).toBe(s.patientId);
  });

  test('every scenario and Synthea record has a curl command and a sandbox address', () => {
    expect(output.match(/^ {2}curl -s /gm)).toHaveLength(scenarioNames().length + syntheaNames().length);
    expect(output.match(/^ {2}sandbox: https:\/\/sandbox\.cds-hooks\.org\/\?serviceDiscoveryURL=/gm)).toHaveLength(
      scenarioNames().length + syntheaNames().length,
    );
  });

  test('its FHIR server answers what the CDS Hooks sandbox asks: metadata, Patient, POST _search with total, CORS', async () => {
    const origin = { Origin: 'https://sandbox.cds-hooks.org', Accept: 'application/json+fhir' };
    const metadata = (await json(`${fhirUrl()}/metadata`, { headers: origin })) as JsonAnswer<CapabilityStatement>;
    expect(metadata.status).toBe(200);
    expect(metadata.body.fhirVersion).toBe('4.0.1');
    expect(metadata.headers.get('access-control-allow-origin')).toBe('*');
    const s = loadScenario('radiographs-first-pain-better-by-1-point', new Date());
    const patient = (await json(`${fhirUrl()}/Patient/${s.patientId}`, { headers: origin })) as JsonAnswer<{ id: string }>;
    expect(patient.body.id).toBe(s.patientId);
    const all = (await json(`${fhirUrl()}/Patient`, { headers: origin })) as JsonAnswer<Bundle>;
    expect(all.body.total).toBe(scenarioNames().length + syntheaNames().length);
    const searched = (await json(`${fhirUrl()}/Condition/_search`, {
      method: 'POST',
      headers: { ...origin, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `patient=${s.patientId}`,
    })) as JsonAnswer<Bundle>;
    expect(searched.body.total).toBe(s.resources.filter((r) => r.resourceType === 'Condition').length);
    const preflight = await fetch(`${fhirUrl()}/Condition/_search`, {
      method: 'OPTIONS',
      headers: { ...origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
  });
});

describe('docker-compose.yml', () => {
  interface ComposeService {
    image?: string;
    build?: { context: string; target?: string };
    command?: string[];
    ports?: string[];
    healthcheck?: { test: string[] };
    depends_on?: Record<string, { condition: string }>;
    environment?: Record<string, string>;
  }
  // Merge keys (`<<: *cds`): the two replicas share one definition, as docker compose reads it.
  const compose = parseYaml(readFileSync(projectPath('docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, ComposeService>;
  };
  const dockerfile = readFileSync(projectPath('Dockerfile'), 'utf8');
  const services = compose.services;
  const stages = [...dockerfile.matchAll(/^FROM \S+ AS (\S+)$/gm)].map((m) => m[1]);

  const replicas = ['cds-1', 'cds-2'];

  test('two replicas of the service behind a load balancer, PostgreSQL, HAPI FHIR and a one-shot loader', () => {
    expect(Object.keys(services).sort()).toEqual(['cds-1', 'cds-2', 'hapi', 'lb', 'load-fixtures', 'postgres']);
    expect(services['cds-2']).toEqual(services['cds-1']); // identical replicas
    expect(services['lb']?.depends_on).toEqual({
      'cds-1': { condition: 'service_started' },
      'cds-2': { condition: 'service_started' },
    });
    expect(services['postgres']?.image).toMatch(/^postgres:\d+/); // a major version, not latest
    // The replicas share the compose PostgreSQL, once it is healthy.
    const pg = services['postgres']?.environment ?? {};
    for (const r of replicas) {
      expect(services[r]?.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
      expect(services[r]?.environment?.['DATABASE_URL']).toBe(
        `postgres://${pg['POSTGRES_USER']}:${pg['POSTGRES_PASSWORD']}@postgres:5432/${pg['POSTGRES_DB']}`,
      );
    }
    expect(services['postgres']?.healthcheck?.test.slice(0, 2)).toEqual(['CMD', 'pg_isready']);
    expect(services['hapi']?.image).toMatch(/^hapiproject\/hapi:v\d+\.\d+\.\d+(-\d+)?$/); // pinned, not latest
    expect(services['load-fixtures']?.depends_on).toEqual({ hapi: { condition: 'service_healthy' } });
    expect(services['load-fixtures']).toMatchObject({ restart: 'no' });
  });

  test('what it builds and runs exists: Dockerfile stages, compiled entry points, copied folders', () => {
    for (const [name, s] of Object.entries(services)) {
      if (s.build === undefined) continue;
      expect({ name, target: s.build.target }).toEqual({
        name,
        target: expect.stringMatching(new RegExp(`^(${stages.join('|')})$`)),
      });
      expect(s.build.context).toBe('.');
    }
    const command = services['load-fixtures']?.command ?? [];
    expect(command.slice(0, 2)).toEqual(['node', 'dist/tools/load-fixtures.js']);
    expect(existsSync(projectPath('tools', 'load-fixtures.ts'))).toBe(true);
    expect(existsSync(projectPath(command[1] ?? ''))).toBe(true); // built by tests/global-setup.ts
    expect(command[command.indexOf('--fhir') + 1]).toBe('http://hapi:8080/fhir');
    for (const [, target] of dockerfile.matchAll(/^CMD \["node", (?:"--[^"]+", )*"([^"]+)"/gm))
      expect(existsSync(projectPath(target ?? ''))).toBe(true);
    for (const [, from] of dockerfile.matchAll(/^COPY (?!--from)(\S+)/gm))
      expect({ from, exists: existsSync(projectPath(from ?? '')) }).toEqual({ from, exists: true });
    // Node 24 LTS in both base stages; the runtime image has no dev dependencies and the scenario patients (the
    // pathway site's examples); the loader adds the Synthea records to it.
    expect([...dockerfile.matchAll(/^FROM (node:\S+) AS/gm)].map((m) => m[1])).toEqual([
      'node:24-bookworm-slim',
      'node:24-bookworm-slim',
    ]);
    expect(dockerfile).toMatch(/FROM node:24\S* AS runtime[\s\S]*RUN npm ci --omit=dev --ignore-scripts/);
    expect(dockerfile).toMatch(/AS runtime[\s\S]*COPY fhir-fixtures\/scenarios \.\/fhir-fixtures\/scenarios[\s\S]*AS loader/);
    expect(dockerfile).toMatch(/FROM runtime AS loader[\s\S]*COPY fhir-fixtures\/synthea \.\/fhir-fixtures\/synthea/);
    // The image starts the service as `npm start` does, with the same Node options.
    const pkg = JSON.parse(readFileSync(projectPath('package.json'), 'utf8')) as {
      main: string;
      scripts: Record<string, string>;
    };
    const start = (pkg.scripts['start'] ?? '').split(/\s+/);
    expect(start.at(-1)).toBe(pkg.main);
    expect(dockerfile).toContain(`CMD [${start.map((t) => `"${t}"`).join(', ')}]`);
  });

  test('health checks and ports: documented, and what the health checks call exists', () => {
    for (const r of replicas) {
      // Healthy = ready (migrations ran, the database answers); only the load balancer is published.
      expect(services[r]?.healthcheck?.test.join(' ')).toContain('http://127.0.0.1:3000/readyz');
      expect(services[r]?.ports).toBeUndefined();
      expect(services[r]?.environment?.['PORT']).toBe('3000');
      expect(services[r]?.environment?.['ALLOWED_FHIR_SERVERS']).toContain('http://hapi:8080/fhir');
    }
    expect(services['hapi']?.healthcheck?.test).toEqual(['CMD', 'java', '-cp', '/app', 'HealthCheck']);
    expect(services['lb']?.ports).toEqual(['3000:3000']);
    expect(services['hapi']?.ports).toEqual(['8080:8080']);
    const docs = readFileSync(projectPath('docs', 'fhir-data.md'), 'utf8');
    for (const url of ['http://localhost:3000/cds-services', 'http://localhost:8080/fhir', 'docker compose up --build'])
      expect(docs).toContain(url);
  });
});
