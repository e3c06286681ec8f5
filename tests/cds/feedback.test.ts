import type { OperationOutcome } from 'fhir/r4.js';
import { cds } from '../helpers/cds-client.js';
import { validPatientView, validPatientViewFor } from '../helpers/requests.js';
import { testService, type TestService } from '../helpers/service.js';

let service: TestService;
let patients = 0;
beforeAll(async () => {
  service = await testService();
});
afterAll(() => service.close());

/** A card with a suggestion, for a patient of its own (feedback quiets the topic for the patient it was about). */
async function aCard(): Promise<{ card: string; suggestion: string; topic: string }> {
  const body = validPatientViewFor(service.registry, `feedback-test-${++patients}`);
  const res = await cds(service.app).hook('hip-pain-patient-view', body);
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
    const stored = (await service.store.allFeedback()).filter((r) => r.card === card);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({
      service_id: 'hip-pain-patient-view',
      topic,
      outcome: 'accepted',
      accepted_suggestions: JSON.stringify([suggestion]),
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
    const stored = (await service.store.allFeedback()).find((r) => r.card === card);
    expect(stored).toMatchObject({ override_code: 'radiographs-done-elsewhere', user_comment: comment });
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

describe('what is not stored', () => {
  test('feedback for a card this service never issued is answered 200, counted, not stored', async () => {
    const before = (await service.store.allFeedback()).length;
    const res = await cds(service.app).post(path, {
      feedback: [
        { card: '9b0c5e52-2a4c-4c2e-9f5e-5d1f0c0d0001', outcome: 'overridden', outcomeTimestamp: '2026-11-23T10:00:00Z' },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: 1, created: 0, duplicates: 0, unknownCards: 1 });
    expect(await service.store.allFeedback()).toHaveLength(before);
    expect((await service.store.feedbackSummary()).unknownCards).toBeGreaterThanOrEqual(1);
  });

  test('a card issued by another service is not attributed to this one', async () => {
    const { card } = await aCard();
    const res = await cds(service.app).post('/cds-services/hip-pain-order-sign/feedback', {
      feedback: [{ card, outcome: 'overridden', outcomeTimestamp: '2026-11-23T10:00:00Z' }],
    });
    expect(res.body).toMatchObject({ created: 0, unknownCards: 1 });
  });

  test('an item larger than FEEDBACK_MAX_ITEM_BYTES is refused (413) and nothing of the request is stored', async () => {
    const small = await testService({ FEEDBACK_MAX_ITEM_BYTES: '1kb' });
    try {
      const res1 = await cds(small.app).hook('hip-pain-patient-view', validPatientView(small.registry));
      const cards = res1.body.cards.map((c) => c.uuid);
      const res = await cds(small.app).post(path, {
        feedback: [
          { card: cards[0], outcome: 'overridden', outcomeTimestamp: '2026-11-23T10:00:00Z' },
          {
            card: cards[0],
            outcome: 'overridden',
            overrideReason: { userComment: 'x'.repeat(2000) },
            outcomeTimestamp: '2026-11-23T10:00:01Z',
          },
        ],
      });
      expect(res.status).toBe(413);
      expect((res.body as OperationOutcome).issue[0]?.expression).toEqual(['feedback[1]']);
      expect(await small.store.allFeedback()).toHaveLength(0);
    } finally {
      await small.close();
    }
  });
});
