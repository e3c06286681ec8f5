import type { OperationOutcome } from 'fhir/r4.js';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileFeedbackStore, feedbackKey } from '../../src/feedback/store.js';
import { cds } from '../helpers/cds-client.js';
import { validPatientView } from '../helpers/requests.js';
import { testService, type TestService } from '../helpers/service.js';

let service: TestService;
beforeAll(async () => {
  service = await testService();
});
afterAll(() => service.close());

async function aCard(): Promise<{ card: string; suggestion: string; topic: string }> {
  const res = await cds(service.app).hook('hip-pain-patient-view', validPatientView(service.registry));
  const card = res.body.cards.find((c) => c.suggestions !== undefined);
  if (card === undefined) throw new Error('expected a card with a suggestion');
  return { card: card.uuid, suggestion: card.suggestions?.[0]?.uuid ?? '', topic: card.source.topic?.code ?? '' };
}

const path = '/cds-services/hip-pain-patient-view/feedback';

describe('POST /cds-services/{id}/feedback', () => {
  test('accepted feedback is stored with the card topic, and a repeat is idempotent', async () => {
    const { card, suggestion, topic } = await aCard();
    const body = {
      feedback: [
        { card, outcome: 'accepted', acceptedSuggestions: [{ id: suggestion }], outcomeTimestamp: '2026-11-23T10:00:00.000Z' },
      ],
    };
    const first = await cds(service.app).post(path, body);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ received: 1, created: 1, duplicates: 0 });
    const again = await cds(service.app).post(path, body);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ received: 1, created: 0, duplicates: 1 });
    const stored = (await service.feedbackStore.all()).filter((r) => r.card === card);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({
      serviceId: 'hip-pain-patient-view',
      topic,
      outcome: 'accepted',
      acceptedSuggestions: [suggestion],
    });
  });

  test('overridden feedback with a reason and a comment: the comment is stored, never logged', async () => {
    const { card } = await aCard();
    const comment = 'Patient had radiographs at another hospital last month (Mrs Example)';
    const res = await cds(service.app).post(path, {
      feedback: [
        {
          card,
          outcome: 'overridden',
          overrideReason: {
            reason: { system: 'http://hip-pain-cds.org/fhir/CodeSystem/override-reason', code: 'radiographs-done-elsewhere' },
            userComment: comment,
          },
          outcomeTimestamp: '2026-11-23T10:01:00Z',
        },
      ],
    });
    expect(res.status).toBe(200);
    const stored = (await service.feedbackStore.all()).find((r) => r.card === card);
    expect(stored?.overrideReason).toMatchObject({ code: 'radiographs-done-elsewhere', userComment: comment });
    expect(service.logs.text()).not.toContain('Mrs Example');
    const line = service.logs.lines().find((l) => l['msg'] === 'feedback' && l['card'] === card);
    expect(line).toMatchObject({
      outcome: 'overridden',
      overrideReason: 'radiographs-done-elsewhere',
      topic: expect.any(String),
    });
  });

  test('invalid feedback answers 400 naming every problem', async () => {
    const res = await cds(service.app).post(path, {
      feedback: [
        { card: 'c1', outcome: 'accepted', outcomeTimestamp: '2026-11-23T10:00:00Z' },
        { card: 'c2', outcome: 'ignored', outcomeTimestamp: 'yesterday' },
        { outcome: 'overridden', outcomeTimestamp: '2026-11-23T10:00:00Z' },
      ],
    });
    expect(res.status).toBe(400);
    const issues = (res.body as OperationOutcome).issue.map((i) => `${i.expression?.[0]}: ${i.diagnostics}`).sort();
    expect(issues).toEqual([
      'feedback[0].acceptedSuggestions: feedback[0].acceptedSuggestions is required',
      'feedback[1].outcome: feedback[1].outcome must be one of: accepted, overridden',
      'feedback[1].outcomeTimestamp: feedback[1].outcomeTimestamp must match format "date-time"',
      'feedback[2].card: feedback[2].card is required',
    ]);
  });

  test('an empty feedback list, or none, is refused', async () => {
    expect((await cds(service.app).post(path, { feedback: [] })).status).toBe(400);
    expect((await cds(service.app).post(path, {})).status).toBe(400);
  });

  test('feedback for an unknown service answers 404', async () => {
    const res = await cds(service.app).post('/cds-services/nope/feedback', {
      feedback: [{ card: 'x', outcome: 'overridden', outcomeTimestamp: '2026-11-23T10:00:00Z' }],
    });
    expect(res.status).toBe(404);
  });
});

describe('file feedback store', () => {
  test('appends JSON lines and stays idempotent across a restart', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'feedback-')), 'sub', 'feedback.jsonl');
    const item = { card: 'card-1', outcome: 'overridden' as const, outcomeTimestamp: '2026-11-23T10:00:00Z' };
    const record = {
      key: feedbackKey('svc', item),
      serviceId: 'svc',
      card: 'card-1',
      outcome: 'overridden' as const,
      outcomeTimestamp: item.outcomeTimestamp,
      receivedAt: '2026-11-23T10:00:01Z',
    };
    let store = await FileFeedbackStore.open(file);
    expect(await Promise.all([store.add(record), store.add(record)])).toEqual(['created', 'duplicate']);
    await store.close();
    store = await FileFeedbackStore.open(file);
    expect(await store.add(record)).toBe('duplicate');
    expect(await store.add({ ...record, key: 'other', card: 'card-2' })).toBe('created');
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(2);
    expect((await store.all()).map((r) => r.card)).toEqual(['card-1', 'card-2']);
  });
});
