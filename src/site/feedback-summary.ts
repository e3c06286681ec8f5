import type { CardTemplates } from '../cards/templates.js';
import type { TopicCode } from '../pathway/topics.js';
import type { Store } from '../store/store.js';
import type { TopicFeedbackSummary } from './pathway-site.js';

/**
 * One topic's feedback for its page, from the shared store: cards issued (the ledger), accepted, and overridden
 * by reason, the reasons named as the card offers them. Undefined when the topic has none yet.
 */
export async function topicFeedback(
  store: Store,
  templates: CardTemplates,
  topic: TopicCode,
): Promise<TopicFeedbackSummary | undefined> {
  const summary = (await store.feedbackSummary()).topics.find((t) => t.topic === topic);
  if (summary === undefined || summary.issued + summary.accepted + summary.overridden === 0) return undefined;
  const offered = new Map((templates.byTopic.get(topic)?.overrideReasons ?? []).map((r) => [r.code, r.display]));
  return {
    issued: summary.issued,
    accepted: summary.accepted,
    overridden: Object.entries(summary.overriddenByReason).map(([code, count]) => ({
      code,
      display: code === '(none)' ? 'no reason given' : (offered.get(code) ?? code),
      count,
    })),
  };
}
