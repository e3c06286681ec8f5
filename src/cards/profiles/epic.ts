import type { CodeableConcept, FhirResource } from 'fhir/r4.js';
import { randomUUID } from 'node:crypto';
import { escapeRecordText } from '../escape.js';
import type { Action, Card, CdsResponse, Suggestion } from '../../cds/types.js';
import { TOPIC_SYSTEM } from '../../pathway/topics.js';

/**
 * The `epic` card profile: cards as Epic's CDS Hooks documentation says it accepts them (docs/ehr-integration.md,
 * with the sources): `selectionBehavior` only `any`, exactly one action per suggestion, no `update`, an
 * alphanumeric `source.topic.code`. Epic also shows the action's `description` (not the suggestion's `label`)
 * and pre-selects a suggestion that `isRecommended`.
 *
 * CDS Hooks 2.0.1 makes the actions of one suggestion one choice ("logically AND'd together"); under `any`,
 * one-action suggestions are separate choices. So a suggestion is split only where each part is safe on its own:
 *  - several creates (two radiographs): one suggestion per create, each a complete order on its own;
 *  - deletes only: one suggestion per delete (removing an order the card warns about is always safe alone);
 *  - a replace or an update (a delete or update together with what takes its place: the safe acetaminophen
 *    schedule, scheduled acetaminophen instead of the opioid, radiographs instead of the MRI): only the removal
 *    is offered. The replacement is not offered as a suggestion, since accepted alone it would stand beside the
 *    order the card warns about (for `acetaminophen-max-dose`: a second acetaminophen order, a higher total
 *    than the one the card warns against); the card's detail says what to order by hand once the removal is
 *    accepted, with the schedule. The same order removed by several suggestions is offered once.
 *  - in a card whose suggestions were alternatives (`at-most-one`), only the parts of the first recommended one
 *    stay `isRecommended` (Epic pre-selects them; alternatives must not all be pre-selected);
 *  - `source.topic.code`: the topic's code in lower camel case (`radiographs-first` -> `radiographsFirst`),
 *    under its own system, TOPIC_ALPHANUMERIC_SYSTEM, since it is not a code of the topic CodeSystem. The
 *    mapping is one-to-one and reversible (topicFromAlphanumeric).
 * Everything else (card uuids, summaries, override reasons, links) is kept as rendered.
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

/** What a clinician calls an order: its medication or service text, else its `Type/id`. */
function orderName(resource: FhirResource): string {
  let concept: CodeableConcept | undefined;
  if (resource.resourceType === 'MedicationRequest') concept = resource.medicationCodeableConcept;
  else if (resource.resourceType === 'ServiceRequest') concept = resource.code;
  const named = concept?.text ?? concept?.coding?.find((c) => c.display !== undefined)?.display;
  if (named !== undefined) return named;
  if (resource.resourceType === 'MedicationRequest' && resource.medicationReference?.display !== undefined)
    return resource.medicationReference.display;
  return `${resource.resourceType}/${resource.id ?? ''}`;
}

/** The dosage text of a changed medication order (the safe schedule), when it has one. */
function dosageText(resource: FhirResource): string | undefined {
  return resource.resourceType === 'MedicationRequest' ? resource.dosageInstruction?.[0]?.text : undefined;
}

/** What takes the place of a removed order, in words, for the card's detail. */
function replacementText(action: Action): string {
  const resource = action.resource;
  if (action.type !== 'update' || resource === undefined) return action.description;
  return `${orderName(resource)}, ordered again: ${dosageText(resource) ?? action.description}`;
}

interface Split {
  /** One-action suggestions safe to accept on their own. */
  suggestions: Suggestion[];
  /** For the detail: what the suggestion would have ordered in place of what it removes. */
  byHand?: string;
}

/** A removal as Epic shows it: the description says that the replacement is in the card's detail. */
function removal(action: Action, suggestion: Suggestion, replaced: boolean): Suggestion | undefined {
  const resource = action.resource;
  let resourceId = action.resourceId;
  if (action.type !== 'delete') resourceId = resource?.id === undefined ? undefined : `${resource.resourceType}/${resource.id}`;
  if (resourceId === undefined) return undefined; // an order without an id cannot be named: nothing to offer
  const base =
    action.type === 'delete' || resource === undefined ? action.description : `Remove the draft order for ${orderName(resource)}`;
  return {
    label: suggestion.label,
    uuid: randomUUID(),
    ...(suggestion.isRecommended !== undefined ? { isRecommended: suggestion.isRecommended } : {}),
    actions: [
      {
        type: 'delete',
        description: replaced ? `${base}. What to order instead, once it is removed, is in the card's detail.` : base,
        resourceId,
      },
    ],
  };
}

function split(suggestion: Suggestion): Split {
  const actions = suggestion.actions ?? [];
  if (actions.length === 1 && actions[0]?.type !== 'update') return { suggestions: [{ ...suggestion }] };
  if (actions.every((a) => a.type === 'create'))
    return {
      suggestions: actions.map((action) => ({
        label: `${suggestion.label}: ${action.description}`,
        uuid: randomUUID(),
        ...(suggestion.isRecommended !== undefined ? { isRecommended: suggestion.isRecommended } : {}),
        actions: [action],
      })),
    };
  if (actions.every((a) => a.type === 'delete'))
    return { suggestions: actions.flatMap((a) => removal(a, suggestion, false) ?? []) };
  // A replace or an update: the removals only; the rest goes, in words, to the detail.
  const replacements = actions.filter((a) => a.type !== 'delete').map(replacementText);
  return {
    suggestions: actions.flatMap((a) => (a.type === 'create' ? [] : (removal(a, suggestion, true) ?? []))),
    byHand: `${suggestion.label}: ${replacements.join('; ')}`,
  };
}

const BY_HAND_INTRO =
  '**Not offered as one-click orders here.** This EHR applies each suggestion on its own, so an order offered ' +
  'in place of another could be accepted while the order this card warns about stays. Accept the removal ' +
  'first; then, if wanted, order by hand:';

function epicCard(card: Card): Card {
  const topic = card.source.topic;
  const source =
    topic?.code === undefined
      ? card.source
      : { ...card.source, topic: { ...topic, system: TOPIC_ALPHANUMERIC_SYSTEM, code: alphanumericTopic(topic.code) } };

  const suggestions: Suggestion[] = [];
  const removed = new Map<string, Suggestion>();
  /** The rendered suggestions each Epic suggestion comes from (several, for a removal they share). */
  const origins = new Map<Suggestion, Set<number>>();
  const byHand: string[] = [];
  (card.suggestions ?? []).forEach((original, i) => {
    const parts = split(original);
    if (parts.byHand !== undefined) byHand.push(parts.byHand);
    for (const s of parts.suggestions) {
      const action = s.actions?.[0];
      const id = action?.type === 'delete' ? action.resourceId : undefined;
      // The same order removed by several suggestions (remove the opioid; or replace it): offered once,
      // pre-selected when any of them was recommended.
      const seen = id === undefined ? undefined : removed.get(id);
      if (seen !== undefined) {
        if (s.isRecommended === true) seen.isRecommended = true;
        origins.get(seen)?.add(i);
        continue;
      }
      if (id !== undefined) removed.set(id, s);
      suggestions.push(s);
      origins.set(s, new Set([i]));
    }
  });
  // Epic pre-selects every suggestion that isRecommended. Alternatives (an `at-most-one` card: MR or CT
  // arthrogram) must not all be pre-selected: only what comes from the first recommended one stays so.
  if (card.selectionBehavior === 'at-most-one') {
    const chosen = (card.suggestions ?? []).findIndex((x) => x.isRecommended === true);
    for (const s of suggestions) if (s.isRecommended === true && origins.get(s)?.has(chosen) !== true) s.isRecommended = false;
  }

  const out: Card = { ...card, source };
  delete out.suggestions;
  delete out.selectionBehavior;
  if (byHand.length > 0) {
    const list = byHand.map((line) => `- ${escapeRecordText(line)}`).join('\n');
    out.detail = [card.detail, `${BY_HAND_INTRO}\n\n${list}`].filter((s) => s !== undefined && s !== '').join('\n\n');
  }
  if (suggestions.length > 0) {
    out.suggestions = suggestions;
    out.selectionBehavior = 'any';
  }
  return out;
}

export function epicProfile(response: CdsResponse): CdsResponse {
  return { ...response, cards: response.cards.map(epicCard) };
}
