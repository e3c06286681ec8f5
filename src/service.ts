import './env-guard.js';
import type { Express, NextFunction, Request, Response } from 'express';
import { createApp } from './app.js';
import { FeedbackService } from './cds/feedback-service.js';
import { HookService } from './cds/hook-service.js';
import { IssuedCards } from './cds/issued-cards.js';
import { loadServiceRegistry, type ServiceRegistry } from './cds/registry.js';
import { CdsValidator } from './cds/validate.js';
import { CardRenderer } from './cards/render.js';
import { loadCardTemplates } from './cards/templates.js';
import type { ServiceConfig } from './config/service-config.js';
import { FileFeedbackStore, type FeedbackStore, MemoryFeedbackStore } from './feedback/store.js';
import { FhirKitFetcher } from './fhir/fhir-client.js';
import { DataGatherer, type FhirFetcher } from './fhir/gather.js';
import { type Readiness, serviceVersion, type Versions } from './http/ops.js';
import { createLogger, type Logger } from './log.js';
import { joinClusterMetrics, metrics } from './metrics.js';
import { loadPathwayConfig, type PathwayConfig } from './pathway/config.js';
import { RecordIndexer } from './record/index-record.js';
import { FhirServerPolicy } from './security/fhir-server-policy.js';
import { buildAuthentication } from './security/authentication.js';
import type { JwksFetch } from './security/jwks.js';
import type { Authenticator } from './security/types.js';
import { loadTerminology, type Terminology } from './terminology/valuesets.js';

/** Everything the service needs, built once at start-up from its configuration and data folders. */
export interface Service {
  app: Express;
  config: ServiceConfig;
  log: Logger;
  registry: ServiceRegistry;
  terminology: Terminology;
  pathwayConfig: PathwayConfig;
  feedbackStore: FeedbackStore;
  /** The hook pipeline without HTTP (validate, gather, index, rules, cards). */
  hooks: HookService;
  /** The service's version (package.json) and the pathway's (cards/_shared.yaml). */
  versions: Versions;
  close(): Promise<void>;
}

export interface ServiceOverrides {
  log?: Logger;
  feedbackStore?: FeedbackStore;
  fetcher?: FhirFetcher & { close?(): Promise<void> };
  authenticator?: Authenticator;
  /** How JWK Sets are fetched (default: HTTPS GET with a time-out). */
  jwksFetch?: JwksFetch;
  /** The clock ("now" of every request); tests may fix it. */
  now?: () => Date;
  /** GET /readyz answers 503 until this says ready (the store wires its migrations and database check here). */
  readiness?: Readiness;
}

export async function buildService(config: ServiceConfig, overrides: ServiceOverrides = {}): Promise<Service> {
  const log = overrides.log ?? createLogger({ level: config.logLevel });
  const terminology = loadTerminology();
  const registry = loadServiceRegistry(terminology);
  const pathwayConfig = loadPathwayConfig(config.pathwayConfigFile);
  const templates = loadCardTemplates();
  const versions: Versions = { service: serviceVersion(), pathway: templates.shared.pathway.version };
  metrics.enableProcessMetrics();
  metrics.buildInfo(versions);
  metrics.knownOverrideReasons([...templates.byTopic.values()].flatMap((t) => (t.overrideReasons ?? []).map((r) => r.code)));
  joinClusterMetrics();
  const validator = new CdsValidator();
  const fetcher = overrides.fetcher ?? new FhirKitFetcher({ maxPages: config.fhir.maxPages, pageSize: config.fhir.pageSize });
  const feedbackStore =
    overrides.feedbackStore ??
    (config.feedback.store === 'file' ? await FileFeedbackStore.open(config.feedback.file) : new MemoryFeedbackStore());
  const issuedCards = new IssuedCards();
  const auth = await buildAuthentication(config, log, overrides.authenticator, overrides.jwksFetch);
  const policy = new FhirServerPolicy({
    allowHttp: config.fhir.allowHttp,
    openModeServers: config.fhir.allowedServers,
    serversForIssuer: auth.serversForIssuer,
  });

  const hooks = new HookService({
    registry,
    validator,
    gatherer: new DataGatherer(fetcher, { timeoutMs: config.fhir.gatherTimeoutMs }),
    indexer: new RecordIndexer(terminology),
    pathwayConfig,
    renderer: new CardRenderer(templates, pathwayConfig),
    issuedCards,
  });
  const feedback = new FeedbackService(registry, validator, feedbackStore, issuedCards);
  const app = createApp({
    config,
    log,
    registry,
    hooks,
    feedback,
    authenticate: auth.middleware as (req: Request, res: Response, next: NextFunction) => void,
    checkFhirServer: (fhirServer, caller) => policy.check(fhirServer, caller),
    now: overrides.now ?? (() => new Date()),
    versions,
    ...(overrides.readiness !== undefined ? { readiness: overrides.readiness } : {}),
  });
  return {
    app,
    config,
    log,
    registry,
    terminology,
    pathwayConfig,
    feedbackStore,
    hooks,
    versions,
    async close() {
      await feedbackStore.close();
      await fetcher.close?.();
    },
  };
}
