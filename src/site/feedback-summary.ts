import type { CardTemplates } from '../cards/templates.js';
import type { FeedbackStore } from '../feedback/store.js';
import type { TopicCode } from '../pathway/topics.js';
import type { TopicFeedbackSummary } from './pathway-site.js';

/** One topic's feedback, counted from the stored feedback records (reasons named as the card offers them). */
export async function feedbackSummary(
  store: FeedbackStore,
  templates: CardTemplates,
  topic: TopicCode,
): Promise<TopicFeedbackSummary | undefined> {
  const records = (await store.all()).filter((r) => r.topic === topic);
  if (records.length === 0) return undefined;
  const offered = new Map((templates.byTopic.get(topic)?.overrideReasons ?? []).map((r) => [r.code, r.display]));
  const overridden = new Map<string, number>();
  let accepted = 0;
  for (const r of records) {
    if (r.outcome === 'accepted') accepted++;
    else overridden.set(r.overrideReason?.code ?? '', (overridden.get(r.overrideReason?.code ?? '') ?? 0) + 1);
  }
  return {
    accepted,
    overridden: [...overridden.entries()].map(([code, count]) => ({
      code,
      display: code === '' ? 'no reason given' : (offered.get(code) ?? code),
      count,
    })),
  };
}
