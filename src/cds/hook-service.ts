import type { CardRenderer } from '../cards/render.js';
import type { DataGatherer, FhirServerCheck } from '../fhir/gather.js';
import { notFound } from '../http/operation-outcome.js';
import type { Logger } from '../log.js';
import { metrics } from '../metrics.js';
import type { PathwayConfig } from '../pathway/config.js';
import { evaluatePathway } from '../pathway/evaluate.js';
import type { RecordIndexer } from '../record/index-record.js';
import type { GatheredEntry } from '../record/index-record.js';
import { objects, str } from '../record/read.js';
import type { IssuedCards } from './issued-cards.js';
import type { ServiceRegistry } from './registry.js';
import type { CdsResponse, OrderSelectContext, OrderSignContext } from './types.js';
import type { CdsValidator } from './validate.js';

export interface HookServiceDeps {
  registry: ServiceRegistry;
  validator: CdsValidator;
  gatherer: DataGatherer;
  indexer: RecordIndexer;
  pathwayConfig: PathwayConfig;
  renderer: CardRenderer;
  issuedCards: IssuedCards;
}

export interface CallContext {
  log: Logger;
  /** Adds fields to the request's access line. */
  annotate: (fields: Record<string, unknown>) => void;
  now: Date;
  /** Throws when the request's fhirServer may not be called by this caller. */
  checkFhirServer: FhirServerCheck;
  /** Aborted when the request times out or the client goes away: FHIR queries stop, nothing more is done. */
  signal?: AbortSignal;
}

/**
 * One hook call, one way: validate -> gather data -> index the record once -> pathway rules -> cards.
 */
export class HookService {
  constructor(private readonly deps: HookServiceDeps) {}

  async call(serviceId: string, body: unknown, ctx: CallContext): Promise<CdsResponse> {
    const { registry, validator, gatherer, indexer, pathwayConfig, renderer, issuedCards } = this.deps;
    const service = registry.get(serviceId);
    if (service === undefined) throw notFound(`no CDS service "${serviceId.slice(0, 64)}" here; GET /cds-services lists them`);
    const request = validator.hookRequest(body, service.hook);
    const bindings = { hookInstance: request.hookInstance, hook: request.hook, service: service.id };
    ctx.annotate(bindings);
    // A child logger only when something is worth a line of its own (a failed query, an undecided rule).
    let child: Logger | undefined;
    const log = (): Logger => (child ??= ctx.log.child(bindings));

    const gathered = await gatherer.gather(service, request, {
      log,
      checkServer: ctx.checkFhirServer,
      ...(ctx.signal !== undefined ? { signal: ctx.signal } : {}),
    });
    if (ctx.signal?.aborted === true) return { cards: [] }; // already answered (503) or the client is gone
    const context = request.context;
    const orderContext = request.hook === 'patient-view' ? undefined : (context as OrderSelectContext | OrderSignContext);
    const draftOrders: GatheredEntry[] = objects(orderContext?.draftOrders.entry).flatMap((e) => {
      const resource = e['resource'];
      const fullUrl = str(e['fullUrl']);
      return resource !== null && typeof resource === 'object'
        ? [{ resource: resource as GatheredEntry['resource'], ...(fullUrl !== undefined ? { fullUrl } : {}) }]
        : [];
    });
    const record = indexer.index({
      now: ctx.now,
      context: {
        patientId: context.patientId,
        userId: context.userId,
        ...(context.encounterId !== undefined ? { encounterId: context.encounterId } : {}),
      },
      entries: gathered.entries,
      draftOrders,
      ...(request.hook === 'order-select' ? { selections: (context as OrderSelectContext).selections } : {}),
    });

    const result = evaluatePathway(record, request.hook, pathwayConfig);
    for (const note of result.notes) log().info({ note }, 'pathway could not decide');
    const cards = result.findings.map((f) => renderer.render(f, result.facts, record));
    for (let i = 0; i < cards.length; i++) {
      const finding = result.findings[i];
      const card = cards[i];
      if (finding !== undefined && card !== undefined) issuedCards.remember(card.uuid, service.id, finding.topic);
    }
    metrics.cardsIssued(service.id, result.findings);
    ctx.annotate({
      sources: gathered.sources,
      ...(gathered.fetchMs !== undefined ? { fetchMs: gathered.fetchMs } : {}),
      resources: gathered.entries.length,
      judged: record.judged.length,
      topics: result.findings.map((f) => f.topic),
    });
    return { cards };
  }
}
