import { leaveOutQuieted, type QuietPeriods } from '../feedback/quiet.js';
import type { DataGatherer, FhirServerCheck } from '../fhir/gather.js';
import { notFound } from '../http/operation-outcome.js';
import { topicPageUrl } from '../site/urls.js';
import type { Logger } from '../log.js';
import type { Pathway } from '../pathway/run.js';
import { metrics } from '../metrics.js';
import type { IssuedCards } from './issued-cards.js';
import type { ServiceRegistry } from './registry.js';
import type { CdsResponse } from './types.js';
import type { CdsValidator } from './validate.js';

export interface HookServiceDeps {
  registry: ServiceRegistry;
  validator: CdsValidator;
  gatherer: DataGatherer;
  /** index -> facts -> rules -> cards (src/pathway/run.ts), the same pipeline the tools run. */
  pathway: Pathway;
  issuedCards: IssuedCards;
  /** Topics quieted by feedback (patient-view only); without it nothing is quieted. */
  quiet?: QuietPeriods;
}

/** A call's abort: whether it is aborted, and its signal (made when first read: src/http/timeout.ts). */
export interface CallAbort {
  readonly aborted: boolean;
  readonly signal: AbortSignal;
}

export interface CallContext {
  log: Logger;
  /** Adds fields to the request's access line. */
  annotate: (fields: Record<string, unknown>) => void;
  now: Date;
  /** The service's base URL as the client sees it: each card's `source.url` is its topic page under it. */
  baseUrl?: string;
  /** Throws when the request's fhirServer may not be called by this caller. */
  checkFhirServer: FhirServerCheck;
  /** Aborted when the request times out or the client goes away: FHIR queries stop, nothing more is done. */
  abort?: CallAbort;
}

/**
 * One hook call, one way: validate -> gather data -> index the record once -> pathway rules -> cards.
 */
export class HookService {
  constructor(private readonly deps: HookServiceDeps) {}

  async call(serviceId: string, body: unknown, ctx: CallContext): Promise<CdsResponse> {
    const { registry, validator, gatherer, pathway, issuedCards } = this.deps;
    const service = registry.get(serviceId);
    if (service === undefined) throw notFound(`no CDS service "${serviceId.slice(0, 64)}" here; GET /cds-services lists them`);
    const request = validator.hookRequest(body, service.hook);
    const bindings = { hookInstance: request.hookInstance, hook: request.hook, service: service.id };
    ctx.annotate(bindings);
    // A child logger only when something is worth a line of its own (a failed query, an undecided rule).
    let child: Logger | undefined;
    const log = (): Logger => (child ??= ctx.log.child(bindings));
    // An order hook without draftOrders (an EHR client not given them) has nothing to judge: no cards, not a 400.
    if (request.hook !== 'patient-view' && request.context.draftOrders === undefined) {
      log().info({ noCardsBecause: 'no-draft-orders' }, 'order hook without context.draftOrders: no cards');
      return { cards: [] };
    }

    // Read in parallel with gathering: the call never waits on the database for it. (Marked handled now, so a
    // gathering error that answers first leaves no unhandled rejection; it is awaited below.)
    const quiet = request.hook === 'patient-view' ? this.deps.quiet?.topicsFor(request.context.patientId, ctx.now) : undefined;
    quiet?.catch(() => undefined);
    const gathered = await gatherer.gather(service, request, {
      log,
      checkServer: ctx.checkFhirServer,
      ...(ctx.abort !== undefined ? { abort: ctx.abort } : {}),
    });
    if (ctx.abort?.aborted === true) return { cards: [] }; // already answered (503) or the client is gone
    const context = request.context;
    const result = pathway.evaluate(
      request.hook,
      {
        now: ctx.now,
        context: {
          patientId: context.patientId,
          userId: context.userId,
          ...(context.encounterId !== undefined ? { encounterId: context.encounterId } : {}),
        },
        entries: gathered.entries,
        draftOrders: gathered.draftOrders,
        ...(request.hook === 'order-select' ? { selections: request.context.selections } : {}),
      },
      { unknown: gathered.unknown },
    );
    const { record } = result;
    for (const note of result.notes) log().info({ note }, 'pathway could not decide');
    // Quieted topics are left out before their cards are rendered (the read started before gathering).
    const { findings, quieted } = await leaveOutQuieted(result.findings, quiet);
    const cards = pathway.render(findings, result);
    for (let i = 0; i < cards.length; i++) {
      const finding = findings[i];
      const card = cards[i];
      if (finding === undefined || card === undefined) continue;
      if (ctx.baseUrl !== undefined) card.source.url = topicPageUrl(ctx.baseUrl, finding.topic);
      issuedCards.remember(card.uuid, service.id, finding.topic, context.patientId, ctx.now);
    }
    metrics.cardsIssued(service.id, findings);
    for (const topic of quieted) metrics.quieted(topic);
    ctx.annotate({
      sources: gathered.sources,
      ...(gathered.fetchMs !== undefined ? { fetchMs: gathered.fetchMs } : {}),
      resources: gathered.entries.length,
      ...(gathered.unknown.length > 0 ? { unknownTypes: gathered.unknown, skippedTopics: result.skipped } : {}),
      ...(Object.keys(gathered.dropped).length > 0 ? { otherPatient: gathered.dropped } : {}),
      judged: record.judged.length,
      topics: findings.map((f) => f.topic),
      ...(quieted.length > 0 ? { quieted } : {}),
    });
    return { cards };
  }
}
