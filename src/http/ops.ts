import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { projectPath, readJsonFile } from '../data-files.js';
import type { Logger } from '../log.js';
import { clusterMetricsText, type Endpoint, METRICS_CONTENT_TYPE, metrics } from '../metrics.js';
import { sendError } from './errors.js';
import { HttpError } from './operation-outcome.js';

/**
 * What operators call: GET /healthz (liveness: the process answers), GET /readyz (readiness: the store's
 * migrations ran and the database answers) and GET /metrics (Prometheus text). None needs a CDS client's
 * JWT; /metrics needs METRICS_TOKEN as a bearer token when one is set, and in production it is served only
 * with METRICS_TOKEN or on its own METRICS_PORT listener.
 */

/** Whether the service can take traffic (e.g. the store's migrations ran and the database answers). */
export type Readiness = () => Promise<{ ready: boolean; detail?: string }>;

/** Ready as soon as the process answers: used when nothing else is wired. */
export const alwaysReady: Readiness = () => Promise.resolve({ ready: true });

export interface Versions {
  /** The service's version (package.json). */
  service: string;
  /** The pathway's version (cards/_shared.yaml, the `source.label` of every card). */
  pathway: string;
}

/** The extension key of the versions in discovery (CDS Hooks 2.0.1 "Extensions": reverse-domain names). */
export const VERSION_EXTENSION = 'org.hip-pain-cds.version';

export function serviceVersion(): string {
  const pkg = readJsonFile(projectPath('package.json')) as { version?: unknown };
  if (typeof pkg.version !== 'string') throw new Error('package.json has no version');
  return pkg.version;
}

export interface MetricsAccess {
  /** Bearer token /metrics requires (METRICS_TOKEN); undefined: none. */
  token: string | undefined;
  /** Serve /metrics on the main listener (false in production without a token, or with METRICS_PORT). */
  onMainPort: boolean;
}

export interface OpsDeps {
  versions: Versions;
  readiness: Readiness;
  /** Longest wait for the readiness check before /readyz answers 503. */
  readinessTimeoutMs: number;
  metrics: MetricsAccess;
  /** Production: a failed readiness check's detail goes to the log only, never to the caller. */
  production: boolean;
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** True when the Authorization header carries exactly this bearer token (compared in constant time). */
export function bearerMatches(authorization: string | undefined, token: string): boolean {
  const m = /^Bearer +(\S+)$/i.exec(authorization?.trim() ?? '');
  return m?.[1] !== undefined && timingSafeEqual(sha256(m[1]), sha256(token));
}

const METRICS_REALM = 'Bearer realm="hip-pain-cds-metrics"';

/** The GET /metrics handler: the token when one is set, then this process's (or all workers') metrics. */
export function metricsHandler(token: string | undefined) {
  return async (req: Request, res: Response): Promise<void> => {
    if (token !== undefined && !bearerMatches(req.headers.authorization, token)) {
      req.log.warn({ metricsAuth: req.headers.authorization === undefined ? 'missing' : 'wrong' }, 'metrics token not accepted');
      sendError(
        res,
        new HttpError(
          401,
          { code: 'login', diagnostics: 'GET /metrics needs the metrics token (METRICS_TOKEN) as Authorization: Bearer' },
          { 'WWW-Authenticate': METRICS_REALM },
        ),
      );
      return;
    }
    const text = await clusterMetricsText();
    res.status(200).setHeader('Content-Type', METRICS_CONTENT_TYPE);
    res.setHeader('Cache-Control', 'no-store');
    res.end(text);
  };
}

async function withTimeout(readiness: Readiness, ms: number): Promise<{ ready: boolean; detail?: string }> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<{ ready: boolean; detail: string }>((resolve) => {
    timer = setTimeout(() => {
      resolve({ ready: false, detail: `the readiness check did not answer within ${ms} ms` });
    }, ms);
  });
  try {
    return await Promise.race([
      readiness().catch((err: unknown) => ({
        ready: false,
        detail: `the readiness check failed: ${err instanceof Error ? err.message : 'error'}`,
      })),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** /healthz, /readyz and (unless it has its own port or is off) /metrics. */
export function opsRoutes(deps: OpsDeps): Router {
  const router = express.Router({ caseSensitive: true, strict: false });
  const { versions } = deps;
  const about = { service: 'hip-pain-cds', version: versions.service, pathwayVersion: versions.pathway };
  let lastReady: boolean | undefined;

  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', ...about });
  });

  router.get('/readyz', async (req, res) => {
    const state = await withTimeout(deps.readiness, deps.readinessTimeoutMs);
    if (state.ready !== lastReady) {
      // One line per change, not per probe.
      if (state.ready) req.log.info('ready');
      else req.log.warn({ detail: state.detail ?? 'not ready' }, 'not ready');
      lastReady = state.ready;
    }
    if (res.headersSent) return;
    if (state.ready) {
      res.json({ status: 'ready', ...about });
      return;
    }
    const detail = deps.production || state.detail === undefined ? '' : `: ${state.detail}`;
    sendError(
      res,
      new HttpError(503, { code: 'transient', diagnostics: `not ready to take requests${detail}` }, { 'Retry-After': '5' }),
    );
  });

  if (deps.metrics.onMainPort) router.get('/metrics', metricsHandler(deps.metrics.token));
  return router;
}

const CDS_PATH = /^\/cds-services\/([^/]+)(\/feedback)?\/?$/;

/** The endpoint and CDS service of a path, for metric labels (unknown services are named `unknown`). */
export function endpointOf(path: string, services: ReadonlySet<string>): { endpoint: Endpoint; service: string } {
  if (path === '/cds-services' || path === '/cds-services/') return { endpoint: 'discovery', service: '' };
  const m = CDS_PATH.exec(path);
  if (m?.[1] !== undefined) {
    const service = services.has(m[1]) ? m[1] : 'unknown';
    return { endpoint: m[2] === undefined ? 'hook' : 'feedback', service };
  }
  if (path === '/healthz') return { endpoint: 'healthz', service: '' };
  if (path === '/readyz') return { endpoint: 'readyz', service: '' };
  if (path === '/metrics') return { endpoint: 'metrics', service: '' };
  return { endpoint: 'other', service: '' };
}

/**
 * Counts a request once it is answered, with its time (hip_pain_cds_http_requests_total, ..._duration_seconds).
 * The middleware below and the hook handler (src/http/hook-handler.ts) run it.
 */
export function countRequests(serviceIds: readonly string[]): (req: Request, res: Response) => void {
  const services = new Set(serviceIds);
  return (req, res) => {
    const started = performance.now();
    res.on('finish', () => {
      const { endpoint, service } = endpointOf(req.path, services);
      metrics.request(endpoint, service, res.statusCode, (performance.now() - started) / 1000);
    });
  };
}

/** The middleware form of countRequests. */
export function requestMetrics(serviceIds: readonly string[]) {
  const count = countRequests(serviceIds);
  return (req: Request, res: Response, next: NextFunction): void => {
    count(req, res);
    next();
  };
}

/** METRICS_PORT: a listener of its own that serves GET /metrics only (the token too, when one is set). */
export async function listenMetrics(
  port: number,
  host: string,
  token: string | undefined,
  log: Logger,
  text: () => Promise<string> = clusterMetricsText,
): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    const answer = (status: number, body: string, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'Content-Type': 'application/fhir+json', ...headers });
      res.end(body);
    };
    const outcome = (code: string, diagnostics: string): string =>
      JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, diagnostics }] });
    if (path !== '/metrics') {
      answer(404, outcome('not-found', 'only GET /metrics is served on METRICS_PORT'));
      return;
    }
    if (req.method !== 'GET') {
      answer(405, outcome('not-supported', 'use GET'), { Allow: 'GET' });
      return;
    }
    if (token !== undefined && !bearerMatches(req.headers.authorization, token)) {
      log.warn({ metricsAuth: req.headers.authorization === undefined ? 'missing' : 'wrong' }, 'metrics token not accepted');
      answer(401, outcome('login', 'GET /metrics needs the metrics token (METRICS_TOKEN) as Authorization: Bearer'), {
        'WWW-Authenticate': METRICS_REALM,
      });
      return;
    }
    text().then(
      (body) => {
        res.writeHead(200, { 'Content-Type': METRICS_CONTENT_TYPE, 'Cache-Control': 'no-store' });
        res.end(body);
      },
      (err: unknown) => {
        log.error({ err: err instanceof Error ? err.message : 'error' }, 'metrics unavailable');
        answer(503, outcome('transient', 'metrics are not available right now'));
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      resolve();
    });
  });
  return server;
}
