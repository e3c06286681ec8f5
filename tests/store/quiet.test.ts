import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCardTemplates } from '../../src/cards/templates.js';
import { addDuration, leaveOutQuieted, parseDuration, QuietPolicy } from '../../src/feedback/quiet.js';
import { loadPathwayConfig } from '../../src/pathway/config.js';
import { PATIENT_VIEW_TOPICS } from '../../src/pathway/topics.js';
import { cds, topicsOf } from '../helpers/cds-client.js';
import { validOrderSign, validPatientView, validPatientViewFor } from '../helpers/requests.js';
import { testService, type TestService } from '../helpers/service.js';

const REASON_SYSTEM = 'http://hip-pain-cds.org/fhir/CodeSystem/override-reason';
const MONTH_MS = 30 * 86_400_000;

describe('how long an answer quiets its topic', () => {
  const templates = loadCardTemplates();
  const policy = new QuietPolicy(templates, loadPathwayConfig());

  test('every override reason of every card declares its quiet period', () => {
    const undeclared = [...templates.byTopic.values()].flatMap((t) =>
      (t.overrideReasons ?? []).filter((r) => r.quiet === undefined).map((r) => `${t.topic}: ${r.code}`),
    );
    expect(undeclared).toEqual([]);
  });

  test('per reason, from cards/*.yaml; accepted and no reason from config/pathway.yaml', () => {
    expect(policy.periodFor('radiographs-first', 'overridden', 'radiographs-done-elsewhere')).toEqual({
      amount: 12,
      unit: 'month',
    });
    expect(policy.periodFor('radiographs-first', 'overridden', 'patient-declined')).toEqual({ amount: 3, unit: 'month' });
    expect(policy.periodFor('radiographs-first', 'overridden', 'imaging-not-indicated')).toEqual({ amount: 1, unit: 'month' });
    expect(policy.periodFor('radiographs-first', 'overridden', undefined)).toBeUndefined();
    expect(policy.periodFor('radiographs-first', 'overridden', 'a-reason-the-card-does-not-list')).toBeUndefined();
    expect(policy.periodFor('exercise-therapy-first', 'accepted', undefined)).toEqual({ amount: 1, unit: 'month' });
  });

  test('order warnings, and above all acetaminophen-max-dose, are never quieted', () => {
    expect(policy.periodFor('acetaminophen-max-dose', 'overridden', 'dose-verified-by-prescriber')).toBeUndefined();
    expect(policy.periodFor('acetaminophen-max-dose', 'accepted', undefined)).toBeUndefined();
    expect(policy.periodFor('avoid-opioids', 'overridden', 'perioperative-or-palliative')).toBeUndefined();
    for (const topic of PATIENT_VIEW_TOPICS) expect(policy.periodFor(topic, 'accepted', undefined)).toBeDefined();
  });

  test('durations are calendar units; "none" is none; anything else is refused', () => {
    const t = Date.UTC(2026, 0, 31);
    expect(new Date(addDuration(t, { amount: 1, unit: 'month' })).toISOString()).toBe('2026-03-03T00:00:00.000Z');
    expect(new Date(addDuration(t, { amount: 12, unit: 'month' })).toISOString()).toBe('2027-01-31T00:00:00.000Z');
    expect(new Date(addDuration(t, { amount: 2, unit: 'week' })).toISOString()).toBe('2026-02-14T00:00:00.000Z');
    expect(parseDuration('none')).toBeUndefined();
    expect(() => parseDuration('forever')).toThrow('is not a duration');
  });

  test('the filter leaves out quiet topics, keeps acetaminophen-max-dose whatever the set says', async () => {
    const findings = [{ topic: 'radiographs-first' }, { topic: 'acetaminophen-max-dose' }, { topic: 'add-duloxetine' }];
    const out = await leaveOutQuieted(findings, Promise.resolve(new Set(['radiographs-first', 'acetaminophen-max-dose'])));
    expect(out.findings.map((f) => f.topic)).toEqual(['acetaminophen-max-dose', 'add-duloxetine']);
    expect(out.quieted).toEqual(['radiographs-first']);
  });
});

describe('feedback quiets the next patient-view calls of that patient', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await testService();
  });
  afterAll(() => service.close());

  const viewFor = (patientId: string) => {
    const body = validPatientViewFor(service.registry, patientId);
    return cds(service.app).hook('hip-pain-patient-view', body);
  };

  test('override "radiographs done elsewhere": 12 months quiet for this patient only; the log says which topic', async () => {
    const first = await viewFor('quiet-1');
    const card = first.body.cards.find((c) => c.source.topic?.code === 'radiographs-first');
    expect(card).toBeDefined();
    const fb = await cds(service.app).post('/cds-services/hip-pain-patient-view/feedback', {
      feedback: [
        {
          card: card?.uuid,
          outcome: 'overridden',
          overrideReason: { reason: { system: REASON_SYSTEM, code: 'radiographs-done-elsewhere' } },
          outcomeTimestamp: new Date().toISOString(),
        },
      ],
    });
    expect(fb.body).toMatchObject({ created: 1 });
    const again = await viewFor('quiet-1');
    expect(topicsOf(again.body.cards)).not.toContain('radiographs-first');
    expect(topicsOf(first.body.cards).filter((t) => t !== 'radiographs-first')).toEqual(topicsOf(again.body.cards));
    const line = service.logs
      .lines()
      .filter((l) => Array.isArray(l['quieted']))
      .pop();
    expect(line?.['quieted']).toEqual(['radiographs-first']);
    expect(JSON.stringify(line)).not.toContain('quiet-1');
    // Another patient still sees it.
    expect(topicsOf((await viewFor('quiet-2')).body.cards)).toContain('radiographs-first');
    // For about twelve months.
    const rows = await service.store.db.selectFrom('quiet').selectAll().execute();
    const until = rows.find((r) => r.topic === 'radiographs-first')?.until_ms ?? 0;
    expect(until - Date.now()).toBeGreaterThan(11.9 * MONTH_MS);
    expect(until - Date.now()).toBeLessThan(12.4 * MONTH_MS);
  });

  test('an override without a reason quiets nothing (the documented default)', async () => {
    const first = await viewFor('quiet-3');
    const card = first.body.cards.find((c) => c.source.topic?.code === 'radiographs-first');
    await cds(service.app).post('/cds-services/hip-pain-patient-view/feedback', {
      feedback: [{ card: card?.uuid, outcome: 'overridden', outcomeTimestamp: new Date().toISOString() }],
    });
    expect(topicsOf((await viewFor('quiet-3')).body.cards)).toContain('radiographs-first');
  });

  test('acetaminophen-max-dose is never quieted: overridden, it warns again on the next order-sign', async () => {
    const body = validOrderSign(service.registry);
    const first = await cds(service.app).hook('hip-pain-order-sign', body);
    const card = first.body.cards.find((c) => c.source.topic?.code === 'acetaminophen-max-dose');
    expect(card).toBeDefined();
    const fb = await cds(service.app).post('/cds-services/hip-pain-order-sign/feedback', {
      feedback: [
        {
          card: card?.uuid,
          outcome: 'overridden',
          overrideReason: { reason: { system: REASON_SYSTEM, code: 'dose-verified-by-prescriber' } },
          outcomeTimestamp: new Date().toISOString(),
        },
      ],
    });
    expect(fb.body).toMatchObject({ created: 1 });
    const again = await cds(service.app).hook('hip-pain-order-sign', validOrderSign(service.registry));
    expect(topicsOf(again.body.cards)).toContain('acetaminophen-max-dose');
    const quiet = await service.store.db.selectFrom('quiet').select('topic').execute();
    expect(quiet.map((q) => q.topic)).not.toContain('acetaminophen-max-dose');
  });
});

test('a quiet topic stays quiet across a restart (SQLite file)', async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'cds-quiet-')), 'db.sqlite');
  const env = { FEEDBACK_STORE: 'file', SQLITE_FILE: file };
  const a = await testService(env);
  const body = validPatientView(a.registry);
  const card = (await cds(a.app).hook('hip-pain-patient-view', body)).body.cards.find(
    (c) => c.source.topic?.code === 'radiographs-first',
  );
  await cds(a.app).post('/cds-services/hip-pain-patient-view/feedback', {
    feedback: [
      {
        card: card?.uuid,
        outcome: 'overridden',
        overrideReason: { reason: { system: REASON_SYSTEM, code: 'patient-declined' } },
        outcomeTimestamp: new Date().toISOString(),
      },
    ],
  });
  await a.close();
  const b = await testService(env);
  try {
    expect(topicsOf((await cds(b.app).hook('hip-pain-patient-view', validPatientView(b.registry))).body.cards)).not.toContain(
      'radiographs-first',
    );
  } finally {
    await b.close();
  }
});
