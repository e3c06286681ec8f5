import type { FhirResource } from 'fhir/r4.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { randomUUID } from 'node:crypto';
import {
  alphanumericTopic,
  epicProfile,
  TOPIC_ALPHANUMERIC_SYSTEM,
  topicFromAlphanumeric,
} from '../../src/cards/profiles/epic.js';
import type { Action, Card, CdsResponse } from '../../src/cds/types.js';
import { CdsValidator } from '../../src/cds/validate.js';
import { ALL_TOPICS, TOPIC_SYSTEM } from '../../src/pathway/topics.js';
import { readTrustedIssuers } from '../../src/security/trusted-issuers.js';
import { codingKey } from '../../src/terminology/coding.js';
import { loadTerminology } from '../../src/terminology/valuesets.js';
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

/** Whether an action orders acetaminophen: by code (every product of the terminology) or by name, as the max-dose check reads it. */
const terminology = loadTerminology();
function addsAcetaminophen(action: Action): boolean {
  if (action.type === 'delete' || action.resource?.resourceType !== 'MedicationRequest') return false;
  const concept = action.resource.medicationCodeableConcept;
  const keys = (concept?.coding ?? []).flatMap((c) => codingKey(c.system, c.code) ?? []);
  const classes = [
    ...terminology.membership(keys),
    ...keys.flatMap((k) => terminology.products.get(k)?.classes ?? []),
    ...(concept?.coding ?? []).flatMap((c) => terminology.medicationsInText(c.display ?? '').classes),
    ...terminology.medicationsInText(concept?.text ?? '').classes,
  ];
  return classes.includes('medication-acetaminophen');
}

/**
 * CDS Hooks 2.0.1: the actions of one suggestion are one choice. Under `any` each Epic suggestion is its own
 * choice, so none may add an order that was, in the plain card, only offered together with a removal or a
 * change: accepted alone, it would stand beside the order the card warns about.
 */
/** A suggested resource without its id (an update keeps the draft's id; a create made from it would not). */
const withoutId = (r: FhirResource | undefined): string => JSON.stringify({ ...r, id: undefined });

describe('under the epic profile, no suggestion adds an order whose removal partner could be left undone', () => {
  test.each(scenarioNames())('%s', async (name) => {
    const s = loadScenario(name, NOW);
    const plain = await call(s, PLAIN, plainKey);
    const epic = await call(s, EPIC, epicKey);
    plain.forEach((card, i) => {
      const tied = (card.suggestions ?? [])
        .filter((x) => (x.actions ?? []).some((a) => a.type !== 'create'))
        .flatMap((x) => (x.actions ?? []).filter((a) => a.type !== 'delete'))
        .map((a) => withoutId(a.resource));
      const offered = (epic[i]?.suggestions ?? []).flatMap((x) => x.actions ?? []);
      for (const a of offered) if (a.type !== 'delete') expect(tied).not.toContain(withoutId(a.resource));
    });
    // A card that warns about acetaminophen or an opioid offers no acetaminophen order at all: the draft it
    // warns about (an acetaminophen order, or an opioid that may contain acetaminophen) can always stay.
    for (const card of epic.filter((c) => ['acetaminophenMaxDose', 'avoidOpioids'].includes(c.source.topic?.code ?? '')))
      expect((card.suggestions ?? []).flatMap((x) => x.actions ?? []).filter(addsAcetaminophen)).toEqual([]);
  });
});

test('acetaminophen-max-dose (critical): the update becomes the removal alone, and the detail gives the safe schedule', async () => {
  const s = loadScenario('acetaminophen-max-dose-2-tablets-every-4-hours', NOW);
  const [plainCard] = await call(s, PLAIN, plainKey);
  const [epicCard] = await call(s, EPIC, epicKey);
  const update = plainCard?.suggestions?.[0];
  expect(update?.actions?.map((a) => a.type)).toEqual(['update']);
  const changed = update?.actions?.[0]?.resource;
  const safeSchedule = changed?.resourceType === 'MedicationRequest' ? changed.dosageInstruction?.[0]?.text : undefined;
  expect(safeSchedule).toMatch(/every 8 hours/);
  expect(update?.actions?.filter(addsAcetaminophen)).toHaveLength(1); // the check recognises the order

  expect(epicCard?.selectionBehavior).toBe('any');
  expect(epicCard?.suggestions).toHaveLength(1);
  const [removal] = epicCard?.suggestions ?? [];
  expect(removal?.isRecommended).toBe(true); // Epic pre-selects it
  expect(removal?.actions).toEqual([
    {
      type: 'delete',
      resourceId: 'MedicationRequest/draft-apap',
      description:
        "Remove the draft order for acetaminophen 500 MG Oral Tablet. What to order instead, once it is removed, is in the card's detail.",
    },
  ]);
  expect(epicCard?.detail).toContain('**Not offered as one-click orders here.**');
  expect(epicCard?.detail).toContain(`acetaminophen 500 MG Oral Tablet, ordered again: ${safeSchedule ?? ''}`);
  expect(plainCard?.detail).not.toContain('Not offered as one-click orders');
});

test('avoid-opioids on hydrocodone/acetaminophen: only the removal; the scheduled acetaminophen is in the detail', async () => {
  const s = loadScenario('acetaminophen-max-dose-combination-product-removed', NOW);
  const plain = await call(s, PLAIN, plainKey);
  const epic = await call(s, EPIC, epicKey);
  const i = plain.findIndex((c) => c.source.topic?.code === 'avoid-opioids');
  const replace = plain[i]?.suggestions?.[0];
  expect(replace?.actions?.map((a) => a.type)).toEqual(['delete', 'create']);
  expect(replace?.actions?.filter(addsAcetaminophen)).toHaveLength(1); // without the profile: one choice, both actions
  const card = epic[i];
  expect(card?.suggestions?.map((x) => x.actions)).toEqual([
    [
      {
        ...replace?.actions?.[0],
        description: `${replace?.actions?.[0]?.description ?? ''}. What to order instead, once it is removed, is in the card's detail.`,
      },
    ],
  ]);
  expect(card?.detail).toContain(`- ${replace?.label ?? ''}: ${replace?.actions?.[1]?.description ?? ''}`);
});

test('mri-before-radiographs: the MRI removal alone; the radiographs are named in the detail, not offered beside the MRI', async () => {
  const s = loadScenario('mri-before-radiographs-mri-selected', NOW);
  const [plainCard] = await call(s, PLAIN, plainKey);
  const [epicCard] = await call(s, EPIC, epicKey);
  const replace = plainCard?.suggestions?.[0];
  expect(replace?.actions?.map((a) => a.type)).toEqual(['delete', 'create', 'create']);
  expect(epicCard?.suggestions?.map((x) => x.actions?.map((a) => [a.type, a.resourceId]))).toEqual([
    [['delete', 'ServiceRequest/draft-mri']],
  ]);
  expect(epicCard?.detail).toContain('Order XR pelvis AP; Order XR hip lateral (frog-leg)');
});

test('the same order removed by several suggestions (replace it, or remove it) is offered once, pre-selected', async () => {
  const s = loadScenario('avoid-arthroscopy-in-oa-arthroscopy-for-hip-oa', NOW);
  const [plainCard] = await call(s, PLAIN, plainKey);
  const replace = plainCard?.suggestions?.[0];
  const removal = replace?.actions?.[0];
  if (plainCard === undefined || replace === undefined || removal === undefined) throw new Error('expected the replace');
  // The card as the template can make it when the pathway offers both of its suggestions.
  const both: Card = {
    ...plainCard,
    suggestions: [
      { ...replace, isRecommended: false },
      { label: 'Remove the arthroscopy order', uuid: randomUUID(), isRecommended: true, actions: [removal] },
    ],
  };
  const [epicCard] = epicProfile({ cards: [both] }).cards;
  expect(epicCard?.suggestions?.map((x) => [x.actions?.[0]?.resourceId, x.isRecommended])).toEqual([
    ['ServiceRequest/draft-arthroscopy', true],
  ]);
  expect(both.suggestions?.[0]?.isRecommended).toBe(false); // the rendered card is not changed
  expect(validator.responseIssues({ cards: epicCard === undefined ? [] : [epicCard] })).toEqual([]);
});

test('alternatives (MR or CT arthrogram) are never all pre-selected: Epic pre-selects what isRecommended', async () => {
  const s = loadScenario('advanced-imaging-fai-after-failed-conservative-care', NOW);
  const [plainCard] = await call(s, PLAIN, plainKey);
  const [epicCard] = await call(s, EPIC, epicKey);
  expect(plainCard?.selectionBehavior).toBe('at-most-one');
  expect(plainCard?.suggestions?.map((x) => x.isRecommended === true)).toEqual([true, false]);
  expect(epicCard?.suggestions?.map((x) => x.isRecommended === true)).toEqual([true, false]);
  if (plainCard === undefined) throw new Error('expected the card');
  // Were both alternatives recommended, only the first would be pre-selected under epic.
  const both: Card = { ...plainCard, suggestions: (plainCard.suggestions ?? []).map((x) => ({ ...x, isRecommended: true })) };
  const [rewritten] = epicProfile({ cards: [both] }).cards;
  expect(rewritten?.suggestions?.map((x) => x.isRecommended === true)).toEqual([true, false]);
  expect(
    epicProfile({ cards: [{ ...both, selectionBehavior: 'any' }] }).cards[0]?.suggestions?.map((x) => x.isRecommended),
  ).toEqual([true, true]);
});

test('several new orders in one suggestion (two radiographs) become one suggestion each, all still offered', async () => {
  const s = loadScenario('radiographs-first-pain-better-by-1-point', NOW);
  const [plainCard] = await call(s, PLAIN, plainKey);
  const [epicCard] = await call(s, EPIC, epicKey);
  const both = plainCard?.suggestions?.[0];
  expect(both?.actions?.map((a) => a.type)).toEqual(['create', 'create']);
  expect(epicCard?.suggestions?.map((x) => x.actions?.[0])).toEqual(both?.actions);
  expect(epicCard?.suggestions?.map((x) => x.label)).toEqual(both?.actions?.map((a) => `${both.label}: ${a.description}`));
  expect(new Set(epicCard?.suggestions?.map((x) => x.uuid)).size).toBe(2);
  expect(epicCard?.detail).toBe(plainCard?.detail);
});

test('an unknown profile in the issuers file stops start-up, naming the field', () => {
  const file = writeIssuersFile([{ iss: EPIC, jwksUrl: 'https://e/jwks', fhirServers: [], profile: 'cerner' }]);
  expect(() => readTrustedIssuers(file)).toThrow('issuers[0].profile must be equal to one of the allowed values: epic');
});

test('docs/ehr-integration.md lists the epic topic code of every topic', () => {
  const doc = readFileSync(join(process.cwd(), 'docs', 'ehr-integration.md'), 'utf8');
  for (const topic of ALL_TOPICS) expect(doc).toContain(`| \`${topic}\` | \`${alphanumericTopic(topic)}\` |`);
});
