import cluster from 'node:cluster';
import { randomUUID } from 'node:crypto';
import {
  AggregatorRegistry,
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  type PrometheusContentType,
  Registry,
} from 'prom-client';
import { FhirQueryError } from './fhir/gather.js';
import { LOG_BACKLOG_BYTES } from './log.js';

/**
 * The service's Prometheus metrics (GET /metrics, src/http/ops.ts), defined once here. The rest of the code
 * records events through the small functions of `metrics` (one line at each place an event happens), never
 * through prom-client directly, so label names and their allowed values live in one file.
 *
 * Every label value is bounded: services and topics are the project's own, an override reason is one that a
 * card template declares (else `other`: the reason comes from the client), a FHIR resource type comes from
 * the service's prefetch templates. No label ever carries a patient, a user, an issuer's token or a URL.
 *
 * With WEB_CONCURRENCY > 1 each worker keeps its own counts; /metrics answers the sum over the workers
 * (prom-client's AggregatorRegistry, asked through the primary process: `clusterMetricsText`).
 */

const PREFIX = 'hip_pain_cds_';

export const registry = new Registry();

/** The endpoints /metrics tells apart (the path, reduced to a bounded name). */
export type Endpoint = 'discovery' | 'hook' | 'feedback' | 'healthz' | 'readyz' | 'metrics' | 'other';

const httpRequests = new Counter({
  name: `${PREFIX}http_requests_total`,
  help: 'HTTP requests answered, by endpoint, CDS service (empty when none) and status code.',
  labelNames: ['endpoint', 'service', 'status'] as const,
  registers: [registry],
});

const httpDuration = new Histogram({
  name: `${PREFIX}http_request_duration_seconds`,
  help: 'Time from the request to the end of its answer, by endpoint and CDS service.',
  labelNames: ['endpoint', 'service'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

const cardsIssued = new Counter({
  name: `${PREFIX}cards_issued_total`,
  help: 'Cards returned to CDS clients, by CDS service and topic.',
  labelNames: ['service', 'topic'] as const,
  registers: [registry],
});

const feedbackReceived = new Counter({
  name: `${PREFIX}card_feedback_total`,
  help:
    'Card feedback stored (duplicates not counted), by topic (unknown: a card this service did not issue), outcome ' +
    '(accepted, overridden) and override reason code (none: no reason given; other: a code no card declares).',
  labelNames: ['topic', 'outcome', 'reason'] as const,
  registers: [registry],
});

const cardsQuieted = new Counter({
  name: `${PREFIX}cards_quieted_total`,
  help: 'Cards left out of an answer because earlier feedback quiets their topic for that patient, by topic.',
  labelNames: ['topic'] as const,
  registers: [registry],
});

const fhirDuration = new Histogram({
  name: `${PREFIX}fhir_query_duration_seconds`,
  help: "Time of one FHIR query with its pages (answered or failed), by resource type, on the client's FHIR server.",
  labelNames: ['resource_type'] as const,
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10],
  registers: [registry],
});

const fhirFailures = new Counter({
  name: `${PREFIX}fhir_query_failures_total`,
  help: 'FHIR queries that failed, by resource type and reason (timeout, unreachable, unauthorized, server-error, ...).',
  labelNames: ['resource_type', 'reason'] as const,
  registers: [registry],
});

const refusals = new Counter({
  name: `${PREFIX}refused_requests_total`,
  help: 'Requests refused before any work: a replayed JWT (reason replay), or over a rate limit (reason rate-limit, limit address or issuer).',
  labelNames: ['reason', 'limit'] as const,
  registers: [registry],
});

const authFailures = new Counter({
  name: `${PREFIX}auth_failures_total`,
  help: 'JWTs not accepted (answered 401), by reason (missing, bad-signature, expired, wrong-aud, replayed-jti, ...).',
  labelNames: ['reason'] as const,
  registers: [registry],
});

const logLinesDropped = new Counter({
  name: `${PREFIX}log_lines_dropped_total`,
  help: `Log lines dropped because more than ${LOG_BACKLOG_BYTES / 1024 / 1024} MB of lines were already waiting for stdout (src/log.ts).`,
  registers: [registry],
});

const buildInfo = new Gauge({
  name: `${PREFIX}build_info`,
  help: 'Always 1; its labels carry the service version (package.json) and the pathway version (cards/_shared.yaml).',
  labelNames: ['version', 'pathway_version'] as const,
  registers: [registry],
  aggregator: 'first', // the same in every worker: not a sum
});

const knownReasons = new Set<string>();
let defaultMetricsOn = false;

const RESOURCE_TYPE = /^([A-Z][A-Za-z]{1,63})(?:[/?]|$)/;

/** The resource type a query template asks for (`Condition?patient=...`, `Patient/{{context.patientId}}`). */
export function resourceTypeOf(template: string): string {
  return RESOURCE_TYPE.exec(template)?.[1] ?? 'other';
}

export const metrics = {
  /** Process metrics (CPU, memory, event loop, GC) too; once per process, from buildService. */
  enableProcessMetrics(): void {
    if (defaultMetricsOn) return;
    defaultMetricsOn = true;
    collectDefaultMetrics({ register: registry });
  },

  /** The versions, as hip_pain_cds_build_info. */
  buildInfo(versions: { service: string; pathway: string }): void {
    buildInfo.reset();
    buildInfo.set({ version: versions.service, pathway_version: versions.pathway }, 1);
  },

  /** The override reason codes the card templates declare (others are counted as `other`). */
  knownOverrideReasons(codes: Iterable<string>): void {
    for (const c of codes) knownReasons.add(c);
  },

  /** One answered HTTP request. */
  request(endpoint: Endpoint, service: string, status: number, seconds: number): void {
    httpRequests.inc({ endpoint, service, status: String(status) });
    httpDuration.observe({ endpoint, service }, seconds);
  },

  /** Cards of one answer (the findings they were rendered from), by topic. */
  cardsIssued(service: string, findings: readonly { topic: string }[]): void {
    for (const f of findings) cardsIssued.inc({ service, topic: f.topic });
  },

  /** One stored feedback item (not a duplicate). `topic` undefined: a card this service did not issue. */
  feedback(topic: string | undefined, outcome: string, reason: string | undefined): void {
    let reasonLabel = 'none';
    if (reason !== undefined) reasonLabel = knownReasons.has(reason) ? reason : 'other';
    feedbackReceived.inc({
      topic: topic ?? 'unknown',
      outcome: outcome === 'accepted' ? 'accepted' : 'overridden',
      reason: reasonLabel,
    });
  },

  /** A card left out because feedback quiets its topic for the patient. */
  quieted(topic: string): void {
    cardsQuieted.inc({ topic });
  },

  /** A log line dropped: stdout is that far behind (src/log.ts). */
  logLineDropped(): void {
    logLinesDropped.inc();
  },

  /** One FHIR query (with its pages): how long it took, and why it failed when it did. */
  fhirQuery(resourceType: string, ms: number, ok: boolean, reason = 'error'): void {
    fhirDuration.observe({ resource_type: resourceType }, ms / 1000);
    if (!ok) fhirFailures.inc({ resource_type: resourceType, reason });
  },

  /** Runs one FHIR query and records it (`template`: the prefetch template it fills, which names the type). */
  async timeFhirQuery<T>(template: string, run: () => Promise<T>): Promise<T> {
    const started = performance.now();
    const type = resourceTypeOf(template);
    try {
      const result = await run();
      metrics.fhirQuery(type, performance.now() - started, true);
      return result;
    } catch (err) {
      metrics.fhirQuery(type, performance.now() - started, false, err instanceof FhirQueryError ? err.reason : 'error');
      throw err;
    }
  },

  /** A request refused: a replayed JWT, or a rate limit (per client address or per issuer). */
  refused(reason: 'replay' | 'rate-limit', limit?: 'address' | 'issuer'): void {
    refusals.inc(limit === undefined ? { reason } : { reason, limit });
  },

  /** A JWT not accepted, by the authenticator's reason. */
  authFailed(reason: string): void {
    authFailures.inc({ reason });
  },
};

// --- cluster mode: the primary sums the workers' metrics -------------------------------------------------------

const REQUEST = 'hip-pain-cds:metrics-request';
const RESPONSE = 'hip-pain-cds:metrics-response';

interface MetricsResponse {
  type: typeof RESPONSE;
  id: string;
  text?: string;
  error?: string;
}

function isResponse(m: unknown, id: string): m is MetricsResponse {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === RESPONSE && (m as { id?: unknown }).id === id;
}

/** Prometheus text of this process alone. */
export async function localMetricsText(): Promise<string> {
  return registry.metrics();
}

export const METRICS_CONTENT_TYPE = registry.contentType;

let workerListening = false;

/**
 * In a cluster worker: make this worker answer the primary's aggregation requests with its own registry
 * (prom-client installs that listener when an AggregatorRegistry is made). Idempotent.
 */
export function joinClusterMetrics(): void {
  if (!cluster.isWorker || workerListening) return;
  workerListening = true;
  AggregatorRegistry.setRegistries([registry]);
  new AggregatorRegistry();
}

/**
 * The metrics /metrics answers: this process's, or in a cluster worker the sum over every worker (asked of
 * the primary, which asks all workers; at most `timeoutMs`).
 */
export async function clusterMetricsText(timeoutMs = 5000): Promise<string> {
  const send = process.send?.bind(process);
  if (!cluster.isWorker || send === undefined) return localMetricsText();
  const id = randomUUID();
  return new Promise<string>((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      process.off('message', onMessage);
    };
    const onMessage = (m: unknown): void => {
      if (!isResponse(m, id)) return;
      done();
      if (m.text !== undefined) resolve(m.text);
      else reject(new Error(m.error ?? 'no metrics from the primary process'));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error('the primary process did not answer with the metrics in time'));
    }, timeoutMs);
    process.on('message', onMessage);
    send({ type: REQUEST, id });
  });
}

/** In the cluster primary: answer workers asking for the summed metrics (see clusterMetricsText). */
export function serveClusterMetrics(): AggregatorRegistry<PrometheusContentType> {
  const aggregator = new AggregatorRegistry<PrometheusContentType>();
  cluster.on('message', (worker, m: unknown) => {
    if (typeof m !== 'object' || m === null || (m as { type?: unknown }).type !== REQUEST) return;
    const id = String((m as { id?: unknown }).id);
    aggregator.clusterMetrics().then(
      (text) => worker.send({ type: RESPONSE, id, text }),
      (err: unknown) => worker.send({ type: RESPONSE, id, error: err instanceof Error ? err.message : 'aggregation failed' }),
    );
  });
  return aggregator;
}
