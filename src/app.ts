import express, { type Request } from 'express';
import { cdsRoutes, hookCall, notJson, unknownService, type CdsRoutesDeps } from './cds/routes.js';
import { siteRoutes, type SiteRoutesDeps } from './site/routes.js';
import type { ServiceConfig } from './config/service-config.js';
import { cors, CorsPolicy } from './http/cors.js';
import { errorHandler } from './http/errors.js';
import { HOOK_PATH, hookHandler, type HookHandlerDeps } from './http/hook-handler.js';
import { HttpError } from './http/operation-outcome.js';
import { addressRateLimit, limitAddress, RateLimiter } from './http/rate-limit.js';
import { logOf, requestContext } from './http/request-context.js';
import { requestTimeout } from './http/timeout.js';
import type { Logger } from './log.js';
import type { Store } from './store/store.js';
import { alwaysReady, countRequests, opsRoutes, type Readiness, requestMetrics } from './http/ops.js';

export interface AppDeps extends Omit<CdsRoutesDeps, 'bodyLimit' | 'publicBaseUrl'> {
  config: ServiceConfig;
  log: Logger;
  /** The function form of `authenticate`, for the hook handler (src/security/authentication.ts). */
  authenticateRequest: HookHandlerDeps['authenticate'];
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
 * The hook calls (POST /cds-services/{id}) run the same pieces in one handler (src/http/hook-handler.ts),
 * registered first, so that they do not walk the chain.
 */
export function createApp(deps: AppDeps): express.Express {
  const { config, log } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('trust proxy', config.trustProxy);
  app.set('json spaces', 0);

  const corsPolicy = new CorsPolicy(config.corsOrigins);
  const perAddress = limitAddress(
    new RateLimiter(config.limits.perAddressPerMinute, {
      name: 'address',
      log,
      ...(deps.store !== undefined ? { store: deps.store } : {}),
    }),
  );
  const publicBaseUrl = config.publicBaseUrl !== undefined ? { publicBaseUrl: config.publicBaseUrl } : {};
  const serviceIds = deps.registry.list().map((s) => s.id);

  app.post(
    HOOK_PATH,
    hookHandler({
      log,
      countRequest: countRequests(serviceIds),
      cors: corsPolicy,
      limitAddress: perAddress,
      timeoutMs: config.limits.requestTimeoutMs,
      authenticate: deps.authenticateRequest,
      unknownService: (id) => unknownService(deps.registry, id),
      notJson,
      bodyLimit: config.bodyLimit,
      call: hookCall({ ...deps, ...publicBaseUrl }),
    }),
  );

  app.use(requestContext(log));
  app.use(requestMetrics(serviceIds));
  app.use(cors(corsPolicy));
  app.use(addressRateLimit(perAddress));
  app.use(requestTimeout(config.limits.requestTimeoutMs));

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

  if (deps.site !== undefined) app.use(siteRoutes({ ...deps.site, ...publicBaseUrl }));
  app.use(cdsRoutes({ ...deps, bodyLimit: config.bodyLimit, ...publicBaseUrl }));

  app.use((req: Request) => {
    throw new HttpError(404, {
      code: 'not-found',
      diagnostics: `nothing at ${req.method} ${req.path.slice(0, 100)}; the CDS services are at GET /cds-services`,
    });
  });
  // requestContext (the first middleware) gives req its log; an error raised before it is logged with `log`.
  app.use(errorHandler((req) => logOf(req, log)));
  return app;
}
