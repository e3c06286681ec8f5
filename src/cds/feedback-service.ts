import type { QuietPolicy } from '../feedback/quiet.js';
import { addDuration } from '../feedback/quiet.js';
import { feedbackKey } from '../feedback/store.js';
import { HttpError, notFound } from '../http/operation-outcome.js';
import type { Logger } from '../log.js';
import type { FeedbackTable, QuietTable, Store } from '../store/store.js';
import { metrics } from '../metrics.js';
import type { IssuedCards } from './issued-cards.js';
import type { ServiceRegistry } from './registry.js';
import type { CdsValidator } from './validate.js';

export interface FeedbackDeps {
  store: Store;
  issuedCards: IssuedCards;
  quietPolicy: QuietPolicy;
  /** Largest item (its JSON, bytes). */
  maxItemBytes: number;
}

export interface FeedbackResult {
  created: number;
  duplicates: number;
  /** Items for cards this service did not issue (or no longer remembers): answered, counted, not stored. */
  unknown: number;
}

/**
 * POST /cds-services/{id}/feedback: validated per 2.0.1, each item size-capped, attributed to the topic and
 * patient of the card through the shared ledger, stored in one transaction, idempotent by content, and the
 * quiet periods it starts (src/feedback/quiet.ts) stored with it. Logged without patient data.
 */
export class FeedbackService {
  constructor(
    private readonly registry: ServiceRegistry,
    private readonly validator: CdsValidator,
    private readonly deps: FeedbackDeps,
  ) {}

  async record(serviceId: string, body: unknown, log: Logger, now: Date): Promise<FeedbackResult> {
    if (this.registry.get(serviceId) === undefined)
      throw notFound(`no CDS service "${serviceId.slice(0, 64)}" here; GET /cds-services lists them`);
    const request = this.validator.feedbackRequest(body);
    const { store, issuedCards, quietPolicy, maxItemBytes } = this.deps;

    const tooLarge = request.feedback.flatMap((item, i) =>
      Buffer.byteLength(JSON.stringify(item), 'utf8') > maxItemBytes ? [i] : [],
    );
    if (tooLarge.length > 0)
      throw new HttpError(
        413,
        tooLarge.map((i) => ({
          code: 'too-long' as const,
          expression: `feedback[${i}]`,
          diagnostics: `feedback[${i}] is larger than ${maxItemBytes} bytes (FEEDBACK_MAX_ITEM_BYTES); nothing was stored`,
        })),
      );

    const issued = await issuedCards.find(request.feedback.map((f) => f.card));
    const nowMs = now.getTime();
    const items: { row: FeedbackTable; quiet?: QuietTable }[] = [];
    let unknown = 0;
    for (const item of request.feedback) {
      // A card this service issued (a card of another service is not attributed to this one).
      const found = issued.get(item.card);
      const card = found?.serviceId === serviceId ? found : undefined;
      const reason = item.overrideReason;
      if (card === undefined) {
        unknown++;
        metrics.feedback(undefined, item.outcome, reason?.reason?.code);
        log.info(
          { service: serviceId, outcome: item.outcome, unknownCard: true },
          'feedback for a card this service did not issue: not stored',
        );
        continue;
      }
      const row: FeedbackTable = {
        key: feedbackKey(serviceId, item),
        service_id: serviceId,
        card: item.card,
        topic: card.topic,
        outcome: item.outcome,
        accepted_suggestions:
          item.acceptedSuggestions !== undefined ? JSON.stringify(item.acceptedSuggestions.map((s) => s.id)) : null,
        override_system: reason?.reason?.system ?? null,
        override_code: reason?.reason?.code ?? null,
        override_display: reason?.reason?.display ?? null,
        user_comment: reason?.userComment ?? null,
        outcome_timestamp: item.outcomeTimestamp,
        received_at: nowMs,
      };
      const period = quietPolicy.periodFor(card.topic, item.outcome, reason?.reason?.code);
      // The period runs from when the clinician answered (never before the card, never in the future).
      const answered = Math.min(nowMs, Math.max(card.issuedAt, Date.parse(item.outcomeTimestamp) || nowMs));
      items.push({
        row,
        ...(period !== undefined
          ? {
              quiet: {
                patient_hash: card.patientHash,
                topic: card.topic,
                until_ms: addDuration(answered, period),
                reason: item.outcome === 'accepted' ? 'accepted' : `overridden:${reason?.reason?.code ?? ''}`,
              },
            }
          : {}),
      });
    }
    let created = new Set<string>();
    if (items.length > 0) {
      try {
        created = await store.saveFeedback(items);
      } catch (err) {
        log.error({ err: (err as Error).message }, 'feedback not stored (database unavailable)');
        throw new HttpError(503, {
          code: 'transient',
          diagnostics: 'feedback could not be stored now; nothing was stored, retry later',
        });
      }
    }
    if (unknown > 0)
      await store.addToCounter(`feedback-unknown-card:${serviceId}`, unknown).catch((err: unknown) => {
        log.warn({ err: (err as Error).message }, 'unknown-card feedback not counted');
      });
    for (const { row } of items)
      if (created.has(row.key)) metrics.feedback(row.topic, row.outcome, row.override_code ?? undefined);
    for (const { row, quiet } of items)
      // The log names the card and topic, the outcome and the reason code; never the free-text comment.
      log.info(
        {
          service: serviceId,
          card: row.card,
          topic: row.topic,
          outcome: row.outcome,
          acceptedSuggestions: row.accepted_suggestions !== null ? (JSON.parse(row.accepted_suggestions) as string[]).length : 0,
          overrideReason: row.override_code ?? undefined,
          duplicate: !created.has(row.key),
          ...(quiet !== undefined && created.has(row.key)
            ? { quietUntil: new Date(quiet.until_ms).toISOString().slice(0, 10) }
            : {}),
        },
        'feedback',
      );
    return { created: created.size, duplicates: items.length - created.size, unknown };
  }
}
