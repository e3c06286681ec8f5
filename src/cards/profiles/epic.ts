import { randomUUID } from 'node:crypto';
import type { Action, Card, CdsResponse, Suggestion } from '../../cds/types.js';
import { TOPIC_SYSTEM } from '../../pathway/topics.js';

/**
 * The `epic` card profile: cards as Epic's CDS Hooks documentation says it accepts them
 * (docs/ehr-integration.md, with the sources):
 *  - `selectionBehavior` is always `any`;
 *  - each suggestion has exactly one action: a suggestion with several (a replace: remove the MRI, order
 *    radiographs) becomes one suggestion per action, labelled "Step i of n" with the original label, so the
 *    clinician sees they belong together;
 *  - no `update`: an update (the safe acetaminophen schedule) becomes a delete of the order plus a create of the
 *    changed order without its id, as two steps;
 *  - `source.topic.code` is alphanumeric: the topic's code in lower camel case (`radiographs-first` ->
 *    `radiographsFirst`), under its own system, TOPIC_ALPHANUMERIC_SYSTEM, since it is not a code of the topic
 *    CodeSystem. The mapping is one-to-one and reversible (topicFromAlphanumeric).
 * Everything else (uuids of cards, summaries, details, override reasons, links) is kept as rendered.
 */

export const TOPIC_ALPHANUMERIC_SYSTEM = `${TOPIC_SYSTEM}-alphanumeric`;

/** `radiographs-first` -> `radiographsFirst`. */
export function alphanumericTopic(code: string): string {
  return code.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase()).replace(/[^A-Za-z0-9]/g, '');
}

/** `radiographsFirst` -> `radiographs-first` (topic codes are lower case words joined by hyphens). */
export function topicFromAlphanumeric(code: string): string {
  return code.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** One action that Epic accepts: create or delete (an update is split by the caller). */
type SingleAction = Action & { type: 'create' | 'delete' };

/**
 * An update as a delete plus a create: the changed order under a new (server-assigned) id. Undefined when the
 * order has no id to delete by: then the new order would sit beside the old one, so nothing is suggested.
 */
function replaceUpdate(action: Action): SingleAction[] | undefined {
  const resource = action.resource;
  if (resource?.id === undefined) return undefined;
  const changed = structuredClone(resource);
  delete changed.id;
  return [
    {
      type: 'delete',
      description: `Remove the current order (it is replaced in the next step): ${action.description}`,
      resourceId: `${resource.resourceType}/${resource.id}`,
    },
    { type: 'create', description: action.description, resource: changed },
  ];
}

function singleActions(suggestion: Suggestion): SingleAction[] | undefined {
  const out: SingleAction[] = [];
  for (const action of suggestion.actions ?? []) {
    if (action.type === 'update') {
      const replaced = replaceUpdate(action);
      if (replaced === undefined) return undefined;
      out.push(...replaced);
    } else out.push({ ...action, type: action.type });
  }
  return out;
}

/** A suggestion as one or more one-action suggestions, labelled as steps when there are several. */
function splitSuggestion(suggestion: Suggestion): Suggestion[] {
  const actions = singleActions(suggestion);
  if (actions === undefined || actions.length === 0) return [];
  if (actions.length === 1) return [{ ...suggestion, actions }];
  return actions.map((action, i) => ({
    label: `Step ${i + 1} of ${actions.length} (${suggestion.label}): ${action.description}`,
    uuid: randomUUID(),
    ...(suggestion.isRecommended !== undefined ? { isRecommended: suggestion.isRecommended } : {}),
    actions: [action],
  }));
}

function epicCard(card: Card): Card {
  const topic = card.source.topic;
  const source =
    topic?.code === undefined
      ? card.source
      : { ...card.source, topic: { ...topic, system: TOPIC_ALPHANUMERIC_SYSTEM, code: alphanumericTopic(topic.code) } };
  const suggestions = (card.suggestions ?? []).flatMap(splitSuggestion);
  const out: Card = { ...card, source };
  delete out.suggestions;
  delete out.selectionBehavior;
  if (suggestions.length > 0) {
    out.suggestions = suggestions;
    out.selectionBehavior = 'any';
  }
  return out;
}

export function epicProfile(response: CdsResponse): CdsResponse {
  return { ...response, cards: response.cards.map(epicCard) };
}
