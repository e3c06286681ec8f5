import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { alphanumericTopic, TOPIC_ALPHANUMERIC_SYSTEM, topicFromAlphanumeric } from '../../src/cards/profiles/epic.js';
import type { Card, CdsResponse } from '../../src/cds/types.js';
import { CdsValidator } from '../../src/cds/validate.js';
import { ALL_TOPICS, TOPIC_SYSTEM } from '../../src/pathway/topics.js';
import { readTrustedIssuers } from '../../src/security/trusted-issuers.js';
import { loadScenario, scenarioNames, type Scenario } from '../../tools/fixtures/scenarios.js';
import { scenarioRequest, SERVICE_FOR_HOOK } from '../helpers/scenario-call.js';
import { testService, type TestService } from '../helpers/service.js';
import { makeKey, signToken, writeIssuersFile, type TestKey } from '../security/support.js';

/**
 * Per-client card profiles: a trusted issuer with `profile: epic` gets every card the way Epic documents it
 * accepts them (src/cards/profiles/epic.ts, docs/ehr-integration.md); an issuer without a profile gets the cards
 * as rendered. Every scenario is sent as both callers.
 */

const BASE = 'http://cds.test';
const EPIC = 'https://epic.example.org/interconnect-fhir-oauth';
const PLAIN = 'https://ehr.example.org';
const validator = new CdsValidator();

let epicKey: TestKey;
let plainKey: TestKey;
let service: TestService;
const NOW = new Date();

beforeAll(async () => {
  epicKey = await makeKey('RS384', 'epic-1');
  plainKey = await makeKey('ES384', 'plain-1');
  const file = writeIssuersFile([
    { iss: EPIC, jwks: { keys: [epicKey.jwk] }, fhirServers: [], profile: 'epic' },
    { iss: PLAIN, jwks: { keys: [plainKey.jwk] }, fhirServers: [] },
  ]);
  service = await testService(
    { TRUSTED_ISSUERS_FILE: file, PUBLIC_BASE_URL: BASE, RATE_LIMIT_PER_ADDRESS: '0' },
    { now: () => NOW },
  );
});
afterAll(() => service.close());

/** The scenario's hook call, signed by `iss`; the answer checked against the CDS Hooks 2.0.1 response schema. */
async function call(s: Scenario, iss: string, key: TestKey): Promise<Card[]> {
  const path = `/cds-services/${SERVICE_FOR_HOOK[s.hook]}`;
  const token = await signToken({ key, iss, aud: `${BASE}${path}` });
  const res = await request(service.app)
    .post(path)
    .set('Content-Type', 'application/json')
    .set('Authorization', `Bearer ${token}`)
    .send(JSON.stringify(scenarioRequest(s, service.registry, { prefetch: 'full' })));
  expect(res.status).toBe(200);
  const body = res.body as CdsResponse;
  expect(validator.responseIssues(body)).toEqual([]);
  return body.cards;
}

const withoutUuids = (cards: Card[]): unknown =>
  JSON.parse(JSON.stringify(cards).replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>'));

test('the alphanumeric topic codes: letters and digits only, one per topic, and back again', () => {
  const codes = ALL_TOPICS.map(alphanumericTopic);
  expect(codes.every((c) => /^[A-Za-z0-9]+$/.test(c))).toBe(true);
  expect(new Set(codes).size).toBe(ALL_TOPICS.length);
  expect(codes.map(topicFromAlphanumeric)).toEqual([...ALL_TOPICS]);
  expect(alphanumericTopic('advanced-imaging-for-surgical-planning')).toBe('advancedImagingForSurgicalPlanning');
});

describe('every scenario, as an Epic caller and as a caller without a profile', () => {
  const names = scenarioNames();
  let epicCards = 0;
  let changedAnything = false;

  test.each(names)('%s', async (name) => {
    const s = loadScenario(name, NOW);
    const plain = await call(s, PLAIN, plainKey);
    const epic = await call(s, EPIC, epicKey);
    // The same cards, in the same order, for the same topics.
    expect(epic.map((c) => c.source.topic?.code)).toEqual(plain.map((c) => alphanumericTopic(c.source.topic?.code ?? '')));
    for (const card of epic) {
      epicCards++;
      expect(card.source.topic?.system).toBe(TOPIC_ALPHANUMERIC_SYSTEM);
      expect(card.source.topic?.code).toMatch(/^[A-Za-z0-9]+$/);
      if (card.suggestions !== undefined) expect(card.selectionBehavior).toBe('any');
      for (const suggestion of card.suggestions ?? []) {
        expect(suggestion.actions).toHaveLength(1);
        expect(suggestion.actions?.[0]?.type).not.toBe('update');
      }
    }
    // Without a profile, cards are as the templates make them.
    for (const card of plain) expect(card.source.topic?.system).toBe(TOPIC_SYSTEM);
    if (JSON.stringify(withoutUuids(epic)) !== JSON.stringify(withoutUuids(plain))) changedAnything = true;
  });

  afterAll(() => {
    expect(epicCards).toBeGreaterThan(40);
    expect(changedAnything).toBe(true);
  });
});

test('an update (the safe acetaminophen schedule) becomes a delete of the order and a create of the changed order, as two steps', async () => {
  const s = loadScenario('acetaminophen-max-dose-2-tablets-every-4-hours', NOW);
  const [plainCard] = await call(s, PLAIN, plainKey);
  const [epicCard] = await call(s, EPIC, epicKey);
  const update = plainCard?.suggestions?.[0];
  expect(update?.actions?.map((a) => a.type)).toEqual(['update']);
  const changed = update?.actions?.[0]?.resource as unknown as Record<string, unknown>;

  const steps = epicCard?.suggestions ?? [];
  expect(steps.map((x) => x.actions?.[0]?.type)).toEqual(['delete', 'create']);
  expect(steps.map((x) => x.label.slice(0, 12))).toEqual(['Step 1 of 2 ', 'Step 2 of 2 ']);
  expect(steps.every((x) => x.label.includes(`(${update?.label ?? ''})`))).toBe(true);
  expect(steps[0]?.actions?.[0]?.resourceId).toBe('MedicationRequest/draft-apap');
  const created = steps[1]?.actions?.[0]?.resource as unknown as Record<string, unknown>;
  const { id: _id, ...withoutId } = changed;
  expect(created).toEqual(withoutId);
  expect(created).not.toHaveProperty('id');
  expect(epicCard?.selectionBehavior).toBe('any');
  expect(plainCard?.selectionBehavior).toBe('at-most-one');
});

test('a replace (remove the MRI, order radiographs) becomes two labelled one-action suggestions', async () => {
  const s = loadScenario('mri-before-radiographs-mri-selected', NOW);
  const [plainCard] = await call(s, PLAIN, plainKey);
  const [epicCard] = await call(s, EPIC, epicKey);
  const replace = plainCard?.suggestions?.find((x) => (x.actions ?? []).length > 1);
  expect(replace).toBeDefined();
  const n = replace?.actions?.length ?? 0;
  const steps = (epicCard?.suggestions ?? []).filter((x) => x.label.includes(`(${replace?.label ?? ''})`));
  expect(steps.map((x) => x.actions?.[0])).toEqual(replace?.actions);
  expect(steps.map((x) => x.label)).toEqual(
    (replace?.actions ?? []).map((a, i) => `Step ${i + 1} of ${n} (${replace?.label ?? ''}): ${a.description}`),
  );
  expect(new Set(steps.map((x) => x.uuid)).size).toBe(n);
});

test('an unknown profile in the issuers file stops start-up, naming the field', () => {
  const file = writeIssuersFile([{ iss: EPIC, jwksUrl: 'https://e/jwks', fhirServers: [], profile: 'cerner' }]);
  expect(() => readTrustedIssuers(file)).toThrow('/issuers/0/profile must be equal to one of the allowed values');
});

test('docs/ehr-integration.md lists the epic topic code of every topic', () => {
  const doc = readFileSync(join(process.cwd(), 'docs', 'ehr-integration.md'), 'utf8');
  for (const topic of ALL_TOPICS) expect(doc).toContain(`| \`${topic}\` | \`${alphanumericTopic(topic)}\` |`);
});
