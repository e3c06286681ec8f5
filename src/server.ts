import './env-guard.js';
import cluster from 'node:cluster';
import { createServer, type Server } from 'node:http';
import { ConfigError } from './config/env.js';
import { loadServiceConfig, type ServiceConfig } from './config/service-config.js';
import { listenMetrics } from './http/ops.js';
import { preshape } from './http/preshape.js';
import { createLogger, type Logger } from './log.js';
import { serveClusterMetrics } from './metrics.js';
import { buildService, type ServiceOverrides } from './service.js';

/** The answer to malformed HTTP, by Node's error code: headers too large, too slow, anything else 400. */
function clientErrorAnswer(code: string | undefined): { status: number; reason: string; code: string } {
  if (code === 'HPE_HEADER_OVERFLOW') return { status: 431, reason: 'Request Header Fields Too Large', code: 'too-long' };
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return { status: 408, reason: 'Request Timeout', code: 'timeout' };
  return { status: 400, reason: 'Bad Request', code: 'structure' };
}

/**
 * `npm start`: the compiled service on PORT (default 3000). With WEB_CONCURRENCY > 1 a primary process forks
 * that many workers (node:cluster) sharing the port. SIGTERM/SIGINT stop accepting, finish what is in flight,
 * flush the log and exit.
 */
export async function startServer(
  config: ServiceConfig,
  overrides: ServiceOverrides = {},
): Promise<{ server: Server; metricsServer?: Server; close: () => Promise<void> }> {
  const service = await buildService(config, overrides);
  const server = createServer(
    {
      maxHeaderSize: config.limits.maxHeaderBytes,
      requestTimeout: config.limits.requestTimeoutMs,
      headersTimeout: config.limits.headersTimeoutMs,
      keepAliveTimeout: config.limits.keepAliveTimeoutMs,
      // Enforce the header and request time-outs every second (Node's default check is every 30 s).
      connectionsCheckingInterval: 1000,
    },
    preshape(service.app),
  );
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    // Malformed HTTP, oversized headers, time-outs: answer if the socket still can, never crash.
    const answer = clientErrorAnswer(err.code);
    if (socket.writable)
      socket.end(
        `HTTP/1.1 ${answer.status} ${answer.reason}\r\nConnection: close\r\nContent-Type: application/fhir+json\r\n\r\n${JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: answer.code, diagnostics: 'malformed HTTP request' }] })}`,
      );
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    // Name the settings: "EADDRINUSE" alone does not say which variable to change.
    server.once('error', (err) => {
      reject(new Error(`cannot listen on HOST ${config.host} PORT ${config.port}: ${err.message}`));
    });
    server.listen(config.port, config.host, () => {
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  // A worker of a cluster leaves METRICS_PORT to the primary, which answers for all workers.
  const metricsServer =
    config.metrics.port !== undefined && !cluster.isWorker
      ? await listenMetrics(config.metrics.port, config.host, config.metrics.token, service.log)
      : undefined;
  service.log.info(
    {
      port,
      ...metricsPortField(metricsServer),
      mode: config.mode,
      pid: process.pid,
      services: service.registry.list().map((s) => s.id),
      version: service.versions.service,
      pathwayVersion: service.versions.pathway,
    },
    'hip-pain-cds listening',
  );
  if (!cluster.isWorker) warnIfMetricsOff(config, service.log);
  const close = async (): Promise<void> => {
    metricsServer?.close();
    await new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
      server.closeIdleConnections();
    });
    await service.close();
    service.log.flush();
  };
  return { server, ...(metricsServer !== undefined ? { metricsServer } : {}), close };
}

function metricsPortField(server: Server | undefined): { metricsPort?: number } {
  const a = server?.address();
  return typeof a === 'object' && a !== null ? { metricsPort: a.port } : {};
}

/** Production without METRICS_TOKEN or METRICS_PORT: /metrics is not served; say how to turn it on. */
function warnIfMetricsOff(config: ServiceConfig, log: Logger): void {
  if (config.mode === 'production' && config.metrics.token === undefined && config.metrics.port === undefined)
    log.warn('GET /metrics is off: in production set METRICS_TOKEN (bearer token) or METRICS_PORT (a listener of its own)');
}

async function main(): Promise<void> {
  let config: ServiceConfig;
  try {
    config = loadServiceConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`hip-pain-cds: configuration error: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  if (config.workers > 1 && cluster.isPrimary) {
    const log = createLogger({ level: config.logLevel });
    log.info({ workers: config.workers }, 'starting workers');
    // /metrics in a worker, and METRICS_PORT here, answer the sum over all workers (src/metrics.ts).
    const aggregator = serveClusterMetrics();
    warnIfMetricsOff(config, log);
    let metricsServer: Server | undefined;
    if (config.metrics.port !== undefined) {
      const metricsPort = config.metrics.port;
      listenMetrics(metricsPort, config.host, config.metrics.token, log, () => aggregator.clusterMetrics()).then(
        (server) => {
          metricsServer = server;
          log.info(metricsPortField(server), 'metrics listening');
        },
        (err: unknown) => {
          log.error({ err: err instanceof Error ? err.message : 'error', metricsPort }, 'cannot listen on METRICS_PORT');
          process.exit(1);
        },
      );
    }
    for (let i = 0; i < config.workers; i++) cluster.fork();
    let stopping = false;
    cluster.on('exit', (worker, code) => {
      if (stopping) return;
      log.error({ pid: worker.process.pid, code }, 'worker exited; starting another');
      cluster.fork();
    });
    const stop = (): void => {
      stopping = true;
      metricsServer?.close(); // the primary exits once its workers have and this listener is closed
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
      log.flush();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    return;
  }
  try {
    const { close } = await startServer(config);
    let closing = false;
    const stop = (): void => {
      if (closing) return;
      closing = true;
      close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
      setTimeout(() => process.exit(1), 10_000).unref();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  } catch (err) {
    process.stderr.write(`hip-pain-cds: cannot start: ${(err as Error).message}\n`);
    process.exit(1);
  }
}

// Run when started as a program (not when imported by tests or the benchmark).
if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  void main();
}
