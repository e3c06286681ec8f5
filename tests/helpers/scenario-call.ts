import type { FhirResource } from 'fhir/r4.js';
import { randomUUID } from 'node:crypto';
import type { Card, CdsRequest, HookName } from '../../src/cds/types.js';
import type { ServiceRegistry } from '../../src/cds/registry.js';
import type { ContentCheck, Scenario } from '../../src/fixtures/scenarios.js';
import { buildPrefetch } from './prefetch.js';

export const SERVICE_FOR_HOOK: Record<HookName, string> = {
  'patient-view': 'hip-pain-patient-view',
  'order-select': 'hip-pain-order-select',
  'order-sign': 'hip-pain-order-sign',
};

/** The hook request an EHR would send for a scenario; `prefetch: 'full'` fills every template. */
export function scenarioRequest(s: Scenario, registry: ServiceRegistry, options: { prefetch: 'full' | 'none'; fhirServer?: string; token?: string }): CdsRequest {
  const service = registry.get(SERVICE_FOR_HOOK[s.hook]);
  if (service === undefined) throw new Error(`no service for ${s.hook}`);
  const context: Record<string, unknown> = { userId: 'Practitioner/scenario-clinician', patientId: s.patientId };
  if (s.hook !== 'patient-view') context['draftOrders'] = { resourceType: 'Bundle', type: 'collection', entry: (s.draftOrders ?? []).map((resource) => ({ resource })) };
  if (s.hook === 'order-select') context['selections'] = s.selections ?? [];
  const request: CdsRequest = { hook: s.hook, hookInstance: randomUUID(), context: context as unknown as CdsRequest['context'] };
  if (options.prefetch === 'full') request.prefetch = buildPrefetch(service, [s.patient as FhirResource, ...s.resources]);
  if (options.fhirServer !== undefined) {
    request.fhirServer = options.fhirServer;
    request.fhirAuthorization = { access_token: options.token ?? 'scenario-token', token_type: 'Bearer', expires_in: 300, scope: 'user/*.read', subject: 'hip-pain-cds' };
  }
  return request;
}

function suggestedResources(card: Card): Record<string, unknown>[] {
  return (card.suggestions ?? []).flatMap((s) => (s.actions ?? []).flatMap((a) => (a.resource !== undefined ? [a.resource as unknown as Record<string, unknown>] : [])));
}

function codesIn(x: unknown, out: string[] = []): string[] {
  if (Array.isArray(x)) for (const v of x) codesIn(v, out);
  else if (x !== null && typeof x === 'object') {
    const o = x as Record<string, unknown>;
    if (Array.isArray(o['coding'])) for (const c of o['coding'] as { code?: string }[]) if (c.code !== undefined) out.push(c.code);
    for (const [k, v] of Object.entries(o)) if (k === 'code' || k === 'medicationCodeableConcept') codesIn(v, out);
  }
  return out;
}

/** Problems with a card against a scenario's content check (empty when it passes). */
export function contentProblems(card: Card | undefined, check: ContentCheck): string[] {
  if (card === undefined) return [`no ${check.topic} card`];
  const problems: string[] = [];
  if (check.indicator !== undefined && card.indicator !== check.indicator) problems.push(`indicator ${card.indicator}, expected ${check.indicator}`);
  const resources = suggestedResources(card);
  const codes = resources.flatMap((r) => codesIn(r));
  for (const c of check.suggestionCodes ?? []) if (!codes.includes(c)) problems.push(`suggestions lack code ${c} (have ${codes.join(', ')})`);
  const deletes = (card.suggestions ?? []).flatMap((s) => (s.actions ?? []).filter((a) => a.type === 'delete').map((a) => a.resourceId));
  if (check.deletes !== undefined && JSON.stringify([...deletes].sort()) !== JSON.stringify([...check.deletes].sort())) problems.push(`deletes ${JSON.stringify(deletes)}, expected ${JSON.stringify(check.deletes)}`);
  const doseTexts = resources.flatMap((r) => (Array.isArray(r['dosageInstruction']) ? (r['dosageInstruction'] as { text?: string }[]).map((d) => d.text ?? '') : []));
  for (const t of check.doseText ?? []) if (!doseTexts.some((d) => d.includes(t))) problems.push(`no dosage text contains "${t}" (have ${JSON.stringify(doseTexts)})`);
  for (const t of check.detailIncludes ?? []) if (!(card.detail ?? '').includes(t)) problems.push(`detail lacks "${t}"`);
  return problems;
}
