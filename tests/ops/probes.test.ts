import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { projectPath } from '../../src/data-files.js';
import { VERSION_EXTENSION } from '../../src/http/ops.js';
import { cds } from '../helpers/cds-client.js';
import { testService, type TestService } from '../helpers/service.js';
import { makeKey, writeIssuersFile } from '../security/support.js';

/**
 * GET /healthz (liveness) and GET /readyz (readiness), and the versions operators and CDS clients can read:
 * the service's (package.json) and the pathway's (cards/_shared.yaml) in /healthz, /readyz and discovery
 * (each service's `extension`, as CDS Hooks 2.0.1 "Extensions" allows). /readyz answers 503 with an
 * OperationOutcome until the readiness check given to the service (the store's: migrations ran, the database
 * answers) says ready, and whenever it fails or does not answer in time.
 */

const VERSION = (JSON.parse(readFileSync(projectPath('package.json'), 'utf8')) as { version: string }).version;
const PATHWAY_VERSION = (
  parseYaml(readFileSync(projectPath('cards', '_shared.yaml'), 'utf8')) as { pathway: { version: string } }
).pathway.version;
const about = { service: 'hip-pain-cds', version: VERSION, pathwayVersion: PATHWAY_VERSION };

/** A readiness check that reports a start-up task (as the store's migrations) still running until it is done. */
function startupTask(): { readiness: () => Promise<{ ready: boolean; detail?: string }>; finish: () => void } {
  let done = false;
  return {
    readiness: () => Promise.resolve(done ? { ready: true } : { ready: false, detail: 'migrations have not run yet' }),
    finish: () => {
      done = true;
    },
  };
}

describe('GET /healthz', () => {
  test('answers ok with the service and pathway versions, without a token', async () => {
    const service = await testService();
    try {
      const res = await cds(service.app).get('/healthz');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'ok', ...about });
    } finally {
      await service.close();
    }
  });
});

describe('GET /readyz', () => {
  test('with nothing wired: ready as soon as the service answers', async () => {
    const service = await testService();
    try {
      const res = await cds(service.app).get('/readyz');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'ready', ...about });
    } finally {
      await service.close();
    }
  });

  test('503 with Retry-After until the start-up task is done, then 200; one log line per change', async () => {
    const task = startupTask();
    const service = await testService({}, { readiness: task.readiness });
    try {
      const before = await cds(service.app).get('/readyz');
      expect(before.status).toBe(503);
      expect(before.headers['retry-after']).toBe('5');
      expect(before.body).toEqual({
        resourceType: 'OperationOutcome',
        issue: [{ severity: 'error', code: 'transient', diagnostics: 'not ready to take requests: migrations have not run yet' }],
      });
      expect((await cds(service.app).get('/readyz')).status).toBe(503);
      // Liveness does not depend on readiness: a pod that is not ready yet is not restarted.
      expect((await cds(service.app).get('/healthz')).status).toBe(200);
      task.finish();
      expect((await cds(service.app).get('/readyz')).status).toBe(200);
      expect((await cds(service.app).get('/readyz')).status).toBe(200);
      const changes = service.logs.lines().filter((l) => l['msg'] === 'ready' || l['msg'] === 'not ready');
      expect(changes.map((l) => [l['level'], l['msg'], l['detail']])).toEqual([
        ['warn', 'not ready', 'migrations have not run yet'],
        ['info', 'ready', undefined],
      ]);
    } finally {
      await service.close();
    }
  });

  test('a check that fails or does not answer in time is not ready (503), never a hang or a 500', async () => {
    const failing = await testService({}, { readiness: () => Promise.reject(new Error('connection refused')) });
    const hanging = await testService({ REQUEST_TIMEOUT_MS: '400' }, { readiness: () => new Promise(() => undefined) });
    try {
      const failed = await cds(failing.app).get('/readyz');
      expect(failed.status).toBe(503);
      expect((failed.body as { issue: { diagnostics: string }[] }).issue[0]?.diagnostics).toBe(
        'not ready to take requests: the readiness check failed: connection refused',
      );
      const slow = await cds(hanging.app).get('/readyz');
      expect(slow.status).toBe(503);
      // The check's own time-out (half the request time-out) answered, not the request time-out.
      expect((slow.body as { issue: { diagnostics: string }[] }).issue[0]?.diagnostics).toBe(
        'not ready to take requests: the readiness check did not answer within 200 ms',
      );
    } finally {
      await failing.close();
      await hanging.close();
    }
  });

  test('in production the reason goes to the log, not to the caller', async () => {
    const key = await makeKey('ES256', 'r1');
    const file = writeIssuersFile([{ iss: 'https://ehr.example', jwks: { keys: [key.jwk] }, fhirServers: [] }]);
    const service = await testService(
      {
        NODE_ENV: 'production',
        TRUSTED_ISSUERS_FILE: file,
        PUBLIC_BASE_URL: 'https://cds.example.test',
        PATIENT_HASH_SECRET: 'a-production-secret-of-32-characters!',
      },
      { readiness: () => Promise.resolve({ ready: false, detail: 'database db.internal:5432 not answering' }) },
    );
    try {
      const res = await cds(service.app).get('/readyz');
      expect(res.status).toBe(503);
      expect(JSON.stringify(res.body)).not.toContain('db.internal');
      expect(service.logs.lines().find((l) => l['msg'] === 'not ready')?.['detail']).toBe(
        'database db.internal:5432 not answering',
      );
    } finally {
      await service.close();
    }
  });
});

describe('discovery carries the versions', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await testService();
  });
  afterAll(() => service.close());

  test(`each service has extension["${VERSION_EXTENSION}"] = { service, pathway } (checked against the discovery schema)`, async () => {
    const res = await cds(service.app).get('/cds-services');
    const services = (res.body as { services: { id: string; extension?: Record<string, unknown> }[] }).services;
    expect(services).toHaveLength(3);
    for (const s of services)
      expect(s.extension).toEqual({ [VERSION_EXTENSION]: { service: VERSION, pathway: PATHWAY_VERSION } });
    expect(VERSION_EXTENSION).toMatch(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/); // reverse-domain notation
  });
});
