import { createHash } from 'node:crypto';
import type { FeedbackItem } from '../cds/types.js';
import type { FeedbackSummary, Store } from '../store/store.js';

/**
 * Feedback as the service keeps it: in the shared database (src/store/store.ts, table `feedback`), written by
 * src/cds/feedback-service.ts. The clinician's free-text `userComment` is kept as sent and may name a patient:
 * it is never logged.
 */

/** Content hash: the same feedback sent twice has the same key (the endpoint is idempotent by it). */
export function feedbackKey(serviceId: string, item: FeedbackItem): string {
  const canonical = JSON.stringify([
    serviceId,
    item.card,
    item.outcome,
    item.outcomeTimestamp,
    (item.acceptedSuggestions ?? []).map((s) => s.id).sort(),
    item.overrideReason?.reason?.system ?? null,
    item.overrideReason?.reason?.code ?? null,
    item.overrideReason?.userComment ?? null,
  ]);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 32);
}

/**
 * Per topic: cards issued, accepted, overridden by reason, and the acceptance rate (accepted / issued), over
 * every instance, since `sinceMs` (default: as far back as the ledger of issued cards keeps them). For
 * `npm run feedback-report` and the pathway page.
 */
export function feedbackSummary(store: Store, sinceMs?: number): Promise<FeedbackSummary> {
  return store.feedbackSummary(sinceMs);
}

export type { FeedbackSummary, TopicFeedbackSummary } from '../store/store.js';
