import express, { type NextFunction, type Request, type Response } from 'express';
import { cdsRoutes, type CdsRoutesDeps } from './cds/routes.js';
import { siteRoutes, type SiteRoutesDeps } from './site/routes.js';
import type { ServiceConfig } from './config/service-config.js';
import { cors } from './http/cors.js';
import { errorHandler, sendError } from './http/errors.js';
import { HttpError } from './http/operation-outcome.js';
import { addressKey, RateLimiter, setRateLimitHeaders } from './http/rate-limit.js';
import { requestContext } from './http/request-context.js';
import type { Logger } from './log.js';
import type { Store } from './store/store.js';
import { alwaysReady, opsRoutes, type Readiness, requestMetrics } from './http/ops.js';
import { metrics } from './metrics.js';

export interface AppDeps extends Omit<CdsRoutesDeps, 'bodyLimit' | 'publicBaseUrl'> {
  config: ServiceConfig;
  log: Logger;
  /** The pathway site and the knowledge as FHIR (no patient data, no JWT). */
  site?: Omit<SiteRoutesDeps, 'publicBaseUrl'>;
  /** Shared rate-limit counts (every worker and instance); without it the limit is per process. */
  store?: Store;
  /** GET /readyz answers 503 until this says ready (default: ready once the process answers). */
  readiness?: Readiness;
}

/**
 * The HTTP pipeline, in the order a request meets it:
 * request id + access log -> CORS -> per-address rate limit -> time-out -> routes (authenticate -> validate ->
 * gather -> index -> rules -> cards) -> 404 -> errors as OperationOutcome.
 */
export function createApp(deps: AppDeps): express.Express {
  const { config, log } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('trust proxy', config.trustProxy);
  app.set('json spaces', 0);

  app.use(requestContext(log));
  app.use(requestMetrics(deps.registry.list().map((s) => s.id)));
  app.use(cors(config.corsOrigins));

  const perAddress = new RateLimiter(config.limits.perAddressPerMinute, {
    name: 'address',
    log,
    ...(deps.store !== undefined ? { store: deps.store } : {}),
  });
  app.use((req: Request, res: Response, next: NextFunction) => {
    const decision = perAddress.check(addressKey(req.ip ?? 'unknown'));
    setRateLimitHeaders(res, decision);
    const wait = decision.wait;
    if (wait > 0) {
      req.log.warn({ limit: 'address' }, 'rate limited');
      metrics.refused('rate-limit', 'address');
      sendError(
        res,
        new HttpError(
          429,
          { code: 'throttled', diagnostics: 'too many requests from this address; retry later' },
          { 'Retry-After': String(wait) },
        ),
      );
      return;
    }
    next();
  });

  // The request time-out: answer 503, and abort the request's signal so that its FHIR queries stop. The signal
  // is also aborted when the client goes away before the answer.
  app.use((req: Request, res: Response, next: NextFunction) => {
    const controller = new AbortController();
    req.abortSignal = controller.signal;
    const timer = setTimeout(() => {
      req.log.warn({ timeoutMs: config.limits.requestTimeoutMs }, 'request timed out');
      controller.abort();
      sendError(
        res,
        new HttpError(503, {
          code: 'timeout',
          diagnostics: `the service could not answer within ${config.limits.requestTimeoutMs} ms`,
        }),
      );
    }, config.limits.requestTimeoutMs);
    res.on('close', () => {
      clearTimeout(timer);
      if (!res.writableFinished) controller.abort();
    });
    next();
  });

  // /healthz, /readyz, /metrics (src/http/ops.ts): no CDS client JWT; /metrics has its own token.
  app.use(
    opsRoutes({
      versions: deps.versions,
      readiness: deps.readiness ?? alwaysReady,
      // Half the request time-out at most, so that the check's own 503 answers, not the request time-out's.
      readinessTimeoutMs: Math.min(2000, Math.floor(config.limits.requestTimeoutMs / 2)),
      metrics: {
        token: config.metrics.token,
        onMainPort: config.metrics.port === undefined && (config.mode !== 'production' || config.metrics.token !== undefined),
      },
      production: config.mode === 'production',
    }),
  );

  const publicBaseUrl = config.publicBaseUrl !== undefined ? { publicBaseUrl: config.publicBaseUrl } : {};
  if (deps.site !== undefined) app.use(siteRoutes({ ...deps.site, ...publicBaseUrl }));
  app.use(cdsRoutes({ ...deps, bodyLimit: config.bodyLimit, ...publicBaseUrl }));

  app.use((req: Request) => {
    throw new HttpError(404, {
      code: 'not-found',
      diagnostics: `nothing at ${req.method} ${req.path.slice(0, 100)}; the CDS services are at GET /cds-services`,
    });
  });
  // requestContext (the first middleware) defines req.log; an error raised before it is logged with `log`.
  app.use(errorHandler((req) => ('log' in req ? req.log : log)));
  return app;
}
