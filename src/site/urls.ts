import type { TopicCode } from '../pathway/topics.js';

/** Where a topic's page is: a card's `source.url`, so the evidence is one click away. */
export function topicPageUrl(baseUrl: string, topic: TopicCode): string {
  return `${baseUrl.replace(/\/+$/, '')}/pathway/${topic}`;
}
