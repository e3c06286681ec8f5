import { spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import request from 'supertest';
import { parse as parseYaml } from 'yaml';
import { loadServiceConfig } from '../../src/config/service-config.js';
import { startServer } from '../../src/server.js';
import { listenMetrics } from '../../src/http/ops.js';
import { projectPath } from '../../src/data-files.js';
import { resourceTypeOf } from '../../src/metrics.js';
import { scenarioBundle } from '../../tools/fixtures/fhir-load.js';
import { loadScenario } from '../../tools/fixtures/scenarios.js';
import { startFhirServer, type RunningFhirServer } from '../../tools/fhir-server/index.js';
import { cds, topicsOf } from '../helpers/cds-client.js';
import { type Family, parsePrometheus, valueOf } from '../helpers/prometheus.js';
import { scenarioRequest, SERVICE_FOR_HOOK } from '../helpers/scenario-call.js';
import { testService, type TestService } from '../helpers/service.js';
import { makeKey, signToken, writeIssuersFile } from '../security/support.js';

/**
 * GET /metrics: Prometheus text format (prom-client), read back with a strict parser of the exposition format
 * (tests/helpers/prometheus.ts). Each counter is read before and after the event it counts, so a test fails
 * when the event is not counted where it happens: requests by endpoint, service and status with their time,
 * cards by topic, feedback by topic, outcome and reason, FHIR queries by resource type and failures by reason,
 * rate-limit and replay refusals. In production /metrics needs METRICS_TOKEN (or METRICS_PORT); with
 * WEB_CONCURRENCY=2 it sums the workers.
 */

const NOW = new Date();
const scenario = loadScenario('radiographs-first-pain-better-by-1-point', NOW);
const PACKAGE_VERSION = (JSON.parse(readFileSync(projectPath('package.json'), 'utf8')) as { version: string }).version;
const PATHWAY_VERSION = (
  parseYaml(readFileSync(projectPath('cards', '_shared.yaml'), 'utf8')) as { pathway: { version: string } }
).pathway.version;
const REASONS = 'http://hip-pain-cds.org/fhir/CodeSystem/override-reason';

async function scrape(service: TestService, headers: Record<string, string> = {}): Promise<Map<string, Family>> {
  const res = await request(service.app).get('/metrics').set(headers);
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
  return parsePrometheus(res.text);
}

let service: TestService;
beforeAll(async () => {
  service = await testService({ RATE_LIMIT_PER_ADDRESS: '0' }, { now: () => NOW });
});
afterAll(() => service.close());

describe('GET /metrics', () => {
  test('answers the Prometheus text format: every family typed and described, the versions as build_info', async () => {
    const families = await scrape(service);
    for (const [name, type] of [
      ['hip_pain_cds_http_requests_total', 'counter'],
      ['hip_pain_cds_http_request_duration_seconds', 'histogram'],
      ['hip_pain_cds_cards_issued_total', 'counter'],
      ['hip_pain_cds_card_feedback_total', 'counter'],
      ['hip_pain_cds_cards_quieted_total', 'counter'],
      ['hip_pain_cds_fhir_query_duration_seconds', 'histogram'],
      ['hip_pain_cds_fhir_query_failures_total', 'counter'],
      ['hip_pain_cds_refused_requests_total', 'counter'],
      ['hip_pain_cds_auth_failures_total', 'counter'],
      ['hip_pain_cds_log_lines_dropped_total', 'counter'],
      ['hip_pain_cds_build_info', 'gauge'],
      ['process_cpu_seconds_total', 'counter'],
      ['nodejs_eventloop_lag_seconds', 'gauge'],
    ] as const)
      expect({ name, type: families.get(name)?.type }).toEqual({ name, type });
    expect(families.get('hip_pain_cds_build_info')?.samples).toEqual([
      { name: 'hip_pain_cds_build_info', labels: { version: PACKAGE_VERSION, pathway_version: PATHWAY_VERSION }, value: 1 },
    ]);
  });

  test('a hook call: its request by service and status, its time, and its cards by topic', async () => {
    const labels = { endpoint: 'hook', service: 'hip-pain-patient-view', status: '200' };
    const topic = { service: 'hip-pain-patient-view', topic: 'radiographs-first' };
    const before = await scrape(service);
    const res = await cds(service.app).hook(
      SERVICE_FOR_HOOK[scenario.hook],
      scenarioRequest(scenario, service.registry, { prefetch: 'full' }),
    );
    expect(topicsOf(res.body.cards)).toEqual(['exercise-program-review', 'radiographs-first']);
    const after = await scrape(service);
    expect(
      valueOf(after, 'hip_pain_cds_http_requests_total', labels) - valueOf(before, 'hip_pain_cds_http_requests_total', labels),
    ).toBe(1);
    const timed = { endpoint: 'hook', service: 'hip-pain-patient-view' };
    expect(
      valueOf(after, 'hip_pain_cds_http_request_duration_seconds', timed) -
        valueOf(before, 'hip_pain_cds_http_request_duration_seconds', timed),
    ).toBe(1);
    expect(
      valueOf(after, 'hip_pain_cds_http_request_duration_seconds', timed, 'hip_pain_cds_http_request_duration_seconds_sum'),
    ).toBeGreaterThan(0);
    expect(
      valueOf(after, 'hip_pain_cds_cards_issued_total', topic) - valueOf(before, 'hip_pain_cds_cards_issued_total', topic),
    ).toBe(1);
    // Topics the call did not produce did not move.
    const mri = { topic: 'mri-without-contrast' };
    expect(valueOf(after, 'hip_pain_cds_cards_issued_total', mri)).toBe(valueOf(before, 'hip_pain_cds_cards_issued_total', mri));
  });

  test('errors are counted by their status, unknown services as "unknown", unknown paths as "other"', async () => {
    const before = await scrape(service);
    await cds(service.app).post('/cds-services/hip-pain-patient-view', { hook: 'patient-view' });
    await cds(service.app).post('/cds-services/no-such-service', {});
    await cds(service.app).get('/no/such/path');
    const after = await scrape(service);
    const delta = (labels: Record<string, string>): number =>
      valueOf(after, 'hip_pain_cds_http_requests_total', labels) - valueOf(before, 'hip_pain_cds_http_requests_total', labels);
    expect(delta({ endpoint: 'hook', service: 'hip-pain-patient-view', status: '400' })).toBe(1);
    expect(delta({ endpoint: 'hook', service: 'unknown', status: '404' })).toBe(1);
    expect(delta({ endpoint: 'other', service: '', status: '404' })).toBe(1);
  });

  test('feedback: accepted and overridden by topic and reason; a code no card declares is "other"; duplicates once', async () => {
    const cardsOf = async () =>
      (await cds(service.app).hook('hip-pain-patient-view', scenarioRequest(scenario, service.registry, { prefetch: 'full' })))
        .body.cards;
    const [first, second] = [await cardsOf(), await cardsOf()];
    const radiographs = (cards: typeof first) => cards.find((c) => c.source.topic?.code === 'radiographs-first');
    const overridden = radiographs(first);
    const accepted = radiographs(second);
    const exercise = first.find((c) => c.source.topic?.code === 'exercise-program-review');
    if (overridden === undefined || accepted === undefined || exercise === undefined)
      throw new Error('expected the scenario cards');
    const at = NOW.toISOString();
    const before = await scrape(service);
    const body = {
      feedback: [
        {
          card: overridden.uuid,
          outcome: 'overridden',
          overrideReason: { reason: { system: REASONS, code: 'radiographs-done-elsewhere' } },
          outcomeTimestamp: at,
        },
        {
          card: accepted.uuid,
          outcome: 'accepted',
          acceptedSuggestions: [{ id: accepted.suggestions?.[0]?.uuid ?? '' }],
          outcomeTimestamp: at,
        },
        { card: exercise.uuid, outcome: 'overridden', outcomeTimestamp: at },
        {
          card: '8c1b0a52-7f3e-4a51-9d3c-2b0e6f1a9c77',
          outcome: 'overridden',
          overrideReason: { reason: { system: REASONS, code: 'invented-by-the-client' } },
          outcomeTimestamp: at,
        },
      ],
    };
    const sent = await cds(service.app).post('/cds-services/hip-pain-patient-view/feedback', body);
    // The invented card is answered, counted and not stored (the service never issued it), so a repeat counts it
    // again; the three real ones are stored once.
    expect({ status: sent.status, body: sent.body }).toEqual({
      status: 200,
      body: { received: 4, created: 3, duplicates: 0, unknownCards: 1 },
    });
    expect((await cds(service.app).post('/cds-services/hip-pain-patient-view/feedback', body)).body).toMatchObject({
      duplicates: 3,
      unknownCards: 1,
    });
    const after = await scrape(service);
    const delta = (labels: Record<string, string>): number =>
      valueOf(after, 'hip_pain_cds_card_feedback_total', labels) - valueOf(before, 'hip_pain_cds_card_feedback_total', labels);
    expect(delta({ topic: 'radiographs-first', outcome: 'overridden', reason: 'radiographs-done-elsewhere' })).toBe(1);
    expect(delta({ topic: 'radiographs-first', outcome: 'accepted', reason: 'none' })).toBe(1);
    expect(delta({ topic: 'exercise-program-review', outcome: 'overridden', reason: 'none' })).toBe(1);
    expect(delta({ topic: 'unknown', outcome: 'overridden', reason: 'other' })).toBe(2);
    expect(delta({})).toBe(5);
    expect(
      after.get('hip_pain_cds_card_feedback_total')?.samples.some((s) => s.labels['reason'] === 'invented-by-the-client'),
    ).toBe(false);
  });

  test('rate-limit refusals per address are counted', async () => {
    const limited = await testService({ RATE_LIMIT_PER_ADDRESS: '2', TRUST_PROXY: 'loopback' });
    try {
      const from = { 'x-forwarded-for': '203.0.113.9' }; // the scrapes come from another address
      const before = await scrape(limited, from);
      for (let i = 0; i < 3; i++) await cds(limited.app).get('/cds-services', { 'x-forwarded-for': '203.0.113.1' });
      const after = await scrape(limited, from);
      const refused = { reason: 'rate-limit', limit: 'address' };
      expect(
        valueOf(after, 'hip_pain_cds_refused_requests_total', refused) -
          valueOf(before, 'hip_pain_cds_refused_requests_total', refused),
      ).toBe(1);
      const throttled = { endpoint: 'discovery', status: '429' };
      expect(
        valueOf(after, 'hip_pain_cds_http_requests_total', throttled) -
          valueOf(before, 'hip_pain_cds_http_requests_total', throttled),
      ).toBe(1);
    } finally {
      await limited.close();
    }
  });
});

describe('JWT refusals', () => {
  test('a replayed JWT and a per-issuer rate limit are counted; every 401 by its reason', async () => {
    const key = await makeKey('ES256', 'k1');
    const iss = 'https://ehr.example';
    const file = writeIssuersFile([{ iss, jwks: { keys: [key.jwk] }, fhirServers: [] }]);
    const secured = await testService({
      TRUSTED_ISSUERS_FILE: file,
      PUBLIC_BASE_URL: 'https://cds.example.test',
      RATE_LIMIT_PER_ISSUER: '2',
      RATE_LIMIT_PER_ADDRESS: '0',
    });
    try {
      const metricsText = async (): Promise<Map<string, Family>> => scrape(secured);
      const before = await metricsText();
      const aud = 'https://cds.example.test/cds-services';
      const token = await signToken({ key, iss, aud });
      expect((await cds(secured.app).get('/cds-services', { authorization: `Bearer ${token}` })).status).toBe(200);
      expect((await cds(secured.app).get('/cds-services', { authorization: `Bearer ${token}` })).status).toBe(401);
      expect((await cds(secured.app).get('/cds-services')).status).toBe(401);
      for (let i = 0; i < 2; i++)
        await cds(secured.app).get('/cds-services', { authorization: `Bearer ${await signToken({ key, iss, aud })}` });
      const after = await metricsText();
      const delta = (name: string, labels: Record<string, string>): number =>
        valueOf(after, name, labels) - valueOf(before, name, labels);
      expect(delta('hip_pain_cds_refused_requests_total', { reason: 'replay' })).toBe(1);
      expect(delta('hip_pain_cds_refused_requests_total', { reason: 'rate-limit', limit: 'issuer' })).toBe(1);
      expect(delta('hip_pain_cds_auth_failures_total', { reason: 'replayed-jti' })).toBe(1);
      expect(delta('hip_pain_cds_auth_failures_total', { reason: 'missing' })).toBe(1);
    } finally {
      await secured.close();
    }
  });
});

describe('FHIR queries', () => {
  let fhir: RunningFhirServer;
  beforeAll(async () => {
    fhir = await startFhirServer({ seed: [scenarioBundle(scenario).bundle] });
  }, 60_000);
  afterAll(() => fhir.close());
  afterEach(() => {
    fhir.setFault(undefined);
  });

  const call = () =>
    cds(service.app).hook(
      'hip-pain-patient-view',
      scenarioRequest(scenario, service.registry, { prefetch: 'none', fhirServer: fhir.url, token: 'fhir-access-token-1' }),
    );

  test('every query by resource type with its time; a failed one by resource type and reason', async () => {
    const before = await scrape(service);
    expect((await call()).status).toBe(200);
    const mid = await scrape(service);
    for (const type of [
      'Patient',
      'Condition',
      'Observation',
      'ImagingStudy',
      'MedicationRequest',
      'Procedure',
      'ServiceRequest',
    ])
      expect({
        type,
        n:
          valueOf(mid, 'hip_pain_cds_fhir_query_duration_seconds', { resource_type: type }) -
          valueOf(before, 'hip_pain_cds_fhir_query_duration_seconds', { resource_type: type }),
      }).toEqual({ type, n: 1 });
    expect(
      valueOf(mid, 'hip_pain_cds_fhir_query_failures_total') - valueOf(before, 'hip_pain_cds_fhir_query_failures_total'),
    ).toBe(0);

    fhir.setFault((r) => (r.path.startsWith('ImagingStudy') ? { status: 500, body: '{}' } : undefined));
    expect((await call()).status).toBe(412);
    const after = await scrape(service);
    expect(
      valueOf(after, 'hip_pain_cds_fhir_query_failures_total', { resource_type: 'ImagingStudy', reason: 'server-error' }) -
        valueOf(mid, 'hip_pain_cds_fhir_query_failures_total', { resource_type: 'ImagingStudy', reason: 'server-error' }),
    ).toBe(1);
  });

  test('resource types come from the prefetch templates, never from data', () => {
    expect(resourceTypeOf('Patient/{{context.patientId}}')).toBe('Patient');
    expect(resourceTypeOf('Observation?patient={{context.patientId}}&code=a|b')).toBe('Observation');
    expect(resourceTypeOf('Medication?_id={{ids}}')).toBe('Medication');
    expect(resourceTypeOf('https://fhir.example/Condition?x')).toBe('other');
  });
});

describe('production: /metrics needs METRICS_TOKEN, or METRICS_PORT', () => {
  const TOKEN = 'metrics-token-7d41c0e2b9a8f356';
  let file: string;
  beforeAll(async () => {
    const key = await makeKey('ES256', 'p1');
    file = writeIssuersFile([{ iss: 'https://ehr.example', jwks: { keys: [key.jwk] }, fhirServers: [] }]);
  });
  const production = (env: Record<string, string> = {}): Promise<TestService> =>
    testService({
      NODE_ENV: 'production',
      TRUSTED_ISSUERS_FILE: file,
      PUBLIC_BASE_URL: 'https://cds.example.test',
      PATIENT_HASH_SECRET: 'a-production-secret-of-32-characters!',
      ...env,
    });

  test('with METRICS_TOKEN: 401 without it or with another, 200 with it; the token is never logged', async () => {
    const svc = await production({ METRICS_TOKEN: TOKEN });
    try {
      const none = await cds(svc.app).get('/metrics');
      expect(none.status).toBe(401);
      expect(none.headers['www-authenticate']).toBe('Bearer realm="hip-pain-cds-metrics"');
      expect((await cds(svc.app).get('/metrics', { authorization: `Bearer ${TOKEN}x` })).status).toBe(401);
      expect((await cds(svc.app).get('/metrics', { authorization: TOKEN })).status).toBe(401);
      await scrape(svc, { authorization: `Bearer ${TOKEN}` });
      expect(svc.logs.text()).not.toContain(TOKEN);
      // A CDS client's JWT is not the metrics token.
      expect((await cds(svc.app).get('/healthz')).status).toBe(200);
    } finally {
      await svc.close();
    }
  });

  test('without METRICS_TOKEN or METRICS_PORT it is not served (404)', async () => {
    const svc = await production();
    try {
      expect((await cds(svc.app).get('/metrics')).status).toBe(404);
    } finally {
      await svc.close();
    }
  });

  test('with METRICS_PORT: not on the main port; its own listener serves GET /metrics only', async () => {
    const svc = await production({ METRICS_PORT: '0' });
    let server: Server | undefined;
    try {
      expect((await cds(svc.app).get('/metrics')).status).toBe(404);
      server = await listenMetrics(0, '127.0.0.1', undefined, svc.log);
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const res = await fetch(`${base}/metrics`);
      expect(res.status).toBe(200);
      expect(parsePrometheus(await res.text()).has('hip_pain_cds_http_requests_total')).toBe(true);
      const other = await fetch(`${base}/cds-services`);
      expect(other.status).toBe(404);
      expect(((await other.json()) as { resourceType: string }).resourceType).toBe('OperationOutcome');
      expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
    } finally {
      server?.close();
      await svc.close();
    }
  });

  test('npm start with METRICS_PORT (one process): a second listener that needs METRICS_TOKEN when it is set', async () => {
    const config = loadServiceConfig({
      NODE_ENV: 'production',
      TRUSTED_ISSUERS_FILE: file,
      PUBLIC_BASE_URL: 'https://cds.example.test',
      HOST: '127.0.0.1',
      PORT: '0',
      METRICS_PORT: '0',
      METRICS_TOKEN: TOKEN,
      LOG_LEVEL: 'silent',
      PATIENT_HASH_SECRET: 'a-production-secret-of-32-characters!',
      FEEDBACK_STORE: 'memory',
    });
    const running = await startServer(config);
    try {
      const port = (running.server.address() as AddressInfo).port;
      const metricsPort = (running.metricsServer?.address() as AddressInfo | undefined)?.port;
      expect(metricsPort).toBeGreaterThan(0);
      expect(metricsPort).not.toBe(port);
      expect((await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(
        404,
      );
      const refused = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="hip-pain-cds-metrics"');
      const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(res.status).toBe(200);
      expect(parsePrometheus(await res.text()).has('hip_pain_cds_build_info')).toBe(true);
    } finally {
      await running.close();
    }
  });

  test('a short METRICS_TOKEN, or METRICS_PORT equal to PORT, stops start-up naming the variable', () => {
    expect(() => loadServiceConfig({ METRICS_TOKEN: 'short' })).toThrow(/^METRICS_TOKEN must be at least 16 characters/);
    expect(() => loadServiceConfig({ PORT: '3000', METRICS_PORT: '3000' })).toThrow('METRICS_PORT must differ from PORT (3000)');
    expect(() => loadServiceConfig({ METRICS_PORT: 'nine' })).toThrow('METRICS_PORT must be a whole number, got "nine"');
  });
});

describe('WEB_CONCURRENCY=2: /metrics sums the workers', () => {
  const entry = projectPath('dist', 'src', 'server.js');

  function get(port: number, path: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      // A new connection each time (agent: false): the cluster hands connections to the workers in turn.
      const req = httpRequest({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body });
        });
      });
      req.on('error', reject);
      req.end();
    });
  }

  /** The compiled server with two workers; resolves once both listen (and METRICS_PORT, when asked). */
  async function startCluster(
    env: Record<string, string>,
  ): Promise<{ port: number; metricsPort?: number; stop: () => Promise<void> }> {
    const child = spawn(process.execPath, [entry], {
      env: {
        PATH: process.env['PATH'] ?? '',
        HOST: '127.0.0.1',
        PORT: '0',
        WEB_CONCURRENCY: '2',
        FEEDBACK_STORE: 'memory',
        LOG_LEVEL: 'info',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const stop = async (): Promise<void> => {
      child.kill('SIGTERM');
      if (child.exitCode === null) await new Promise((r) => child.on('exit', r));
    };
    const lines = (): Record<string, unknown>[] =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    const until = Date.now() + 15_000;
    const wantsMetricsPort = env['METRICS_PORT'] !== undefined;
    while (
      lines().filter((l) => l['msg'] === 'hip-pain-cds listening').length < 2 ||
      (wantsMetricsPort && !lines().some((l) => l['msg'] === 'metrics listening'))
    ) {
      if (Date.now() > until || child.exitCode !== null) {
        await stop();
        throw new Error(`not started: ${out}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const workers = lines().filter((l) => l['msg'] === 'hip-pain-cds listening');
    expect(new Set(workers.map((w) => w['pid'])).size).toBe(2);
    const metricsPort = lines().find((l) => l['msg'] === 'metrics listening')?.['metricsPort'];
    return { port: workers[0]?.['port'] as number, ...(typeof metricsPort === 'number' ? { metricsPort } : {}), stop };
  }

  const discovery = { endpoint: 'discovery', status: '200' };
  const n = 8;

  test('on the main port: a worker asks the primary, which sums every worker', async () => {
    const c = await startCluster({});
    try {
      for (let i = 0; i < n; i++) expect((await get(c.port, '/cds-services')).status).toBe(200);
      const res = await get(c.port, '/metrics');
      expect(res.status).toBe(200);
      const families = parsePrometheus(res.body);
      // One worker alone has answered about half of them.
      expect(valueOf(families, 'hip_pain_cds_http_requests_total', discovery)).toBe(n);
      expect(families.get('hip_pain_cds_build_info')?.samples.map((s) => s.value)).toEqual([1]); // the same in each worker: not summed
    } finally {
      await c.stop();
    }
  }, 30_000);

  test('on METRICS_PORT: the primary listens and sums; the main port does not serve /metrics', async () => {
    const c = await startCluster({ METRICS_PORT: '0' });
    try {
      for (let i = 0; i < n; i++) expect((await get(c.port, '/cds-services')).status).toBe(200);
      expect((await get(c.port, '/metrics')).status).toBe(404);
      const res = await get(c.metricsPort ?? 0, '/metrics');
      expect(res.status).toBe(200);
      const families = parsePrometheus(res.body);
      expect(valueOf(families, 'hip_pain_cds_http_requests_total', discovery)).toBe(n);
      expect(valueOf(families, 'hip_pain_cds_http_requests_total', { endpoint: 'metrics', status: '404' })).toBe(1);
    } finally {
      await c.stop();
    }
  }, 30_000);
});
