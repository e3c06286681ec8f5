import type { TopicCode } from '../pathway/topics.js';

/**
 * The cards this process answered recently (uuid -> service and topic), so that feedback can be counted per
 * topic. Bounded: the oldest entries go first. No patient data is kept.
 */
export class IssuedCards {
  private readonly cards = new Map<string, { serviceId: string; topic: TopicCode }>();

  constructor(private readonly capacity = 50_000) {}

  remember(uuid: string, serviceId: string, topic: TopicCode): void {
    if (this.cards.size >= this.capacity) {
      const oldest = this.cards.keys().next();
      if (oldest.done !== true) this.cards.delete(oldest.value);
    }
    this.cards.set(uuid, { serviceId, topic });
  }

  find(uuid: string): { serviceId: string; topic: TopicCode } | undefined {
    return this.cards.get(uuid);
  }
}
