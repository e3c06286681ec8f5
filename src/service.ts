import './env-guard.js';
import type { Express, NextFunction, Request, Response } from 'express';
import { createApp } from './app.js';
import { FeedbackService } from './cds/feedback-service.js';
import { HookService } from './cds/hook-service.js';
import { IssuedCards } from './cds/issued-cards.js';
import { loadServiceRegistry, type ServiceRegistry } from './cds/registry.js';
import { CdsValidator } from './cds/validate.js';
import { loadCardTemplates } from './cards/templates.js';
import type { ServiceConfig } from './config/service-config.js';
import { QuietPeriods, QuietPolicy } from './feedback/quiet.js';
import { FhirHttpFetcher } from './fhir/fhir-client.js';
import { DataGatherer, type FhirFetcher } from './fhir/gather.js';
import { type Readiness, serviceVersion, type Versions } from './http/ops.js';
import { createLogger, type Logger } from './log.js';
import { joinClusterMetrics, metrics } from './metrics.js';
import { loadPathwayConfig, type PathwayConfig } from './pathway/config.js';
import { Pathway } from './pathway/run.js';
import { FhirServerPolicy } from './security/fhir-server-policy.js';
import { buildAuthentication } from './security/authentication.js';
import type { JwksFetch } from './security/jwks.js';
import type { Authenticator } from './security/types.js';
import { topicFeedback } from './site/feedback-summary.js';
import { PathwaySite } from './site/pathway-site.js';
import { buildKnowledge } from './knowledge/fhir-knowledge.js';
import { patientHasher } from './store/patient-hash.js';
import { Store } from './store/store.js';
import { loadTerminology, type Terminology } from './terminology/valuesets.js';

/** Everything the service needs, built once at start-up from its configuration and data folders. */
export interface Service {
  app: Express;
  config: ServiceConfig;
  log: Logger;
  registry: ServiceRegistry;
  terminology: Terminology;
  pathwayConfig: PathwayConfig;
  /** The shared database (docs/storage.md); `store.ready()` is the readiness check. */
  store: Store;
  /** The ledger of issued cards (written in batches; `flush()` writes what is queued). */
  issuedCards: IssuedCards;
  /** The hook pipeline without HTTP (validate, gather, index, rules, cards). */
  hooks: HookService;
  /** The service's version (package.json) and the pathway's (cards/_shared.yaml). */
  versions: Versions;
  close(): Promise<void>;
}

export interface ServiceOverrides {
  log?: Logger;
  /** A store already open (tests share one between two services); closed by its owner, not by the service. */
  store?: Store;
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
  const log =
    overrides.log ??
    createLogger({
      level: config.logLevel,
      onDrop: () => {
        metrics.logLineDropped();
      },
    });
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
  const fetcher =
    overrides.fetcher ??
    new FhirHttpFetcher({
      maxPages: config.fhir.maxPages,
      pageSize: config.fhir.pageSize,
      maxEntries: config.fhir.maxEntries,
      maxBytes: config.fhir.maxResponseBytes,
    });
  const store =
    overrides.store ??
    (await Store.open({
      url: config.storage.databaseUrl,
      sqliteFile: config.storage.sqliteFile,
      poolSize: config.storage.poolSize,
      sqliteDriver: config.storage.sqliteDriver,
      feedbackRetentionDays: config.storage.feedbackRetentionDays,
      issuedCardsRetentionDays: config.storage.issuedCardsRetentionDays,
      ...(config.feedback.legacyFile !== undefined ? { legacyFeedbackFile: config.feedback.legacyFile } : {}),
      log,
    }));
  if (config.storage.patientHashSecretIsDefault && config.mode === 'development')
    log.warn('PATIENT_HASH_SECRET is not set: patients are hashed with the development key (production requires a secret)');
  const hash = patientHasher(config.storage.patientHashSecret);
  const issuedCards = new IssuedCards(store, hash, log);
  const auth = buildAuthentication(config, log, overrides.authenticator, overrides.jwksFetch, store);
  const policy = new FhirServerPolicy({
    allowHttp: config.fhir.allowHttp,
    openModeServers: config.fhir.allowedServers,
    serversForIssuer: auth.serversForIssuer,
  });

  const pathway = new Pathway(terminology, templates, pathwayConfig);
  const hooks = new HookService({
    registry,
    validator,
    gatherer: new DataGatherer(fetcher, {
      timeoutMs: config.fhir.gatherTimeoutMs,
      maxEntries: config.fhir.maxEntries,
      maxResources: config.fhir.maxResources,
    }),
    pathway,
    issuedCards,
    quiet: new QuietPeriods(store, hash, log),
  });
  const feedback = new FeedbackService(registry, validator, {
    store,
    issuedCards,
    quietPolicy: new QuietPolicy(templates, pathwayConfig),
    maxItemBytes: config.feedback.maxItemBytes,
  });
  const site = new PathwaySite({
    templates,
    terminology,
    pathway,
    feedback: (topic) => topicFeedback(store, templates, topic),
    ...(overrides.now !== undefined ? { now: overrides.now } : {}),
  });
  const app = createApp({
    config,
    log,
    registry,
    hooks,
    feedback,
    authenticate: auth.middleware as (req: Request, res: Response, next: NextFunction) => void,
    authenticateRequest: auth.authenticate,
    checkFhirServer: (fhirServer, caller) => {
      policy.check(fhirServer, caller);
    },
    site: { site, knowledge: buildKnowledge(terminology, templates) },
    now: overrides.now ?? (() => new Date()),
    store,
    versions,
    readiness:
      overrides.readiness ??
      (async () =>
        (await store.ready())
          ? { ready: true }
          : { ready: false, detail: 'the database has not answered, or its migrations have not run yet' }),
  });
  return {
    app,
    config,
    log,
    registry,
    terminology,
    pathwayConfig,
    store,
    issuedCards,
    hooks,
    versions,
    async close() {
      await issuedCards.close();
      if (overrides.store === undefined) await store.close();
      await fetcher.close?.();
    },
  };
}
