import type { Card } from '../../src/cds/types.js';
import type { ContentCheck } from '../../tools/fixtures/scenarios.js';

export { scenarioRequest, SERVICE_FOR_HOOK } from '../../tools/fixtures/requests.js';

function suggestedResources(card: Card): Record<string, unknown>[] {
  return (card.suggestions ?? []).flatMap((s) =>
    (s.actions ?? []).flatMap((a) => (a.resource !== undefined ? [a.resource as unknown as Record<string, unknown>] : [])),
  );
}

function codesIn(x: unknown, out: string[] = []): string[] {
  if (Array.isArray(x)) for (const v of x) codesIn(v, out);
  else if (x !== null && typeof x === 'object') {
    const o = x as Record<string, unknown>;
    if (Array.isArray(o['coding']))
      for (const c of o['coding'] as { code?: string }[]) if (c.code !== undefined) out.push(c.code);
    for (const [k, v] of Object.entries(o)) if (k === 'code' || k === 'medicationCodeableConcept') codesIn(v, out);
  }
  return out;
}

/** Problems with a card against a scenario's content check (empty when it passes). */
export function contentProblems(card: Card | undefined, check: ContentCheck): string[] {
  if (card === undefined) return [`no ${check.topic} card`];
  const problems: string[] = [];
  if (check.indicator !== undefined && card.indicator !== check.indicator)
    problems.push(`indicator ${card.indicator}, expected ${check.indicator}`);
  const resources = suggestedResources(card);
  const codes = resources.flatMap((r) => codesIn(r));
  for (const c of check.suggestionCodes ?? [])
    if (!codes.includes(c)) problems.push(`suggestions lack code ${c} (have ${codes.join(', ')})`);
  // Alternative suggestions (ultrasound- or fluoroscopy-guided injection) each remove the same draft: count it once.
  const deletes = [
    ...new Set(
      (card.suggestions ?? []).flatMap((s) => (s.actions ?? []).filter((a) => a.type === 'delete').map((a) => a.resourceId)),
    ),
  ];
  if (check.deletes !== undefined && JSON.stringify([...deletes].sort()) !== JSON.stringify([...check.deletes].sort()))
    problems.push(`deletes ${JSON.stringify(deletes)}, expected ${JSON.stringify(check.deletes)}`);
  const types = (card.suggestions ?? []).flatMap((s) => (s.actions ?? []).map((a) => a.type));
  if (check.actionTypes !== undefined && JSON.stringify([...types].sort()) !== JSON.stringify([...check.actionTypes].sort()))
    problems.push(`actions ${JSON.stringify(types)}, expected ${JSON.stringify(check.actionTypes)}`);
  const doseTexts = resources.flatMap((r) =>
    Array.isArray(r['dosageInstruction']) ? (r['dosageInstruction'] as { text?: string }[]).map((d) => d.text ?? '') : [],
  );
  for (const t of check.doseText ?? [])
    if (!doseTexts.some((d) => d.includes(t)))
      problems.push(`no dosage text contains "${t}" (have ${JSON.stringify(doseTexts)})`);
  for (const t of check.detailIncludes ?? []) if (!(card.detail ?? '').includes(t)) problems.push(`detail lacks "${t}"`);
  for (const t of check.detailExcludes ?? []) if ((card.detail ?? '').includes(t)) problems.push(`detail contains "${t}"`);
  return problems;
}
