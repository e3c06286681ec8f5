import type { FeedbackStore } from '../feedback/store.js';
import { feedbackKey } from '../feedback/store.js';
import { notFound } from '../http/operation-outcome.js';
import type { Logger } from '../log.js';
import { metrics } from '../metrics.js';
import type { IssuedCards } from './issued-cards.js';
import type { ServiceRegistry } from './registry.js';
import type { CdsValidator } from './validate.js';

/** POST /cds-services/{id}/feedback: validated per 2.0.1, idempotent, stored, logged without patient data. */
export class FeedbackService {
  constructor(
    private readonly registry: ServiceRegistry,
    private readonly validator: CdsValidator,
    private readonly store: FeedbackStore,
    private readonly issuedCards: IssuedCards,
  ) {}

  async record(serviceId: string, body: unknown, log: Logger, now: Date): Promise<{ created: number; duplicates: number }> {
    if (this.registry.get(serviceId) === undefined)
      throw notFound(`no CDS service "${serviceId.slice(0, 64)}" here; GET /cds-services lists them`);
    const request = this.validator.feedbackRequest(body);
    let created = 0;
    let duplicates = 0;
    for (const item of request.feedback) {
      // A card this process issued for this service (a card of another service is not attributed to it).
      const found = this.issuedCards.find(item.card);
      const issued = found?.serviceId === serviceId ? found : undefined;
      const reason = item.overrideReason;
      const outcome = await this.store.add({
        key: feedbackKey(serviceId, item),
        serviceId,
        card: item.card,
        ...(issued !== undefined ? { topic: issued.topic } : {}),
        outcome: item.outcome,
        ...(item.acceptedSuggestions !== undefined ? { acceptedSuggestions: item.acceptedSuggestions.map((s) => s.id) } : {}),
        ...(reason !== undefined
          ? {
              overrideReason: {
                ...(reason.reason ?? {}),
                ...(reason.userComment !== undefined ? { userComment: reason.userComment } : {}),
              },
            }
          : {}),
        outcomeTimestamp: item.outcomeTimestamp,
        receivedAt: now.toISOString(),
      });
      if (outcome === 'created') created++;
      else duplicates++;
      if (outcome === 'created') metrics.feedback(issued?.topic, item.outcome, reason?.reason?.code);
      // The log names the card and topic, the outcome and the reason code; never the free-text comment.
      log.info(
        {
          service: serviceId,
          card: item.card,
          topic: issued?.topic ?? 'unknown',
          outcome: item.outcome,
          acceptedSuggestions: item.acceptedSuggestions?.length ?? 0,
          overrideReason: reason?.reason?.code,
          duplicate: outcome === 'duplicate',
        },
        'feedback',
      );
    }
    return { created, duplicates };
  }
}
