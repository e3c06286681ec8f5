import { loadCardTemplates, type CardTemplates } from '../../src/cards/templates.js';
import { checkPathway } from '../../src/pathway/check.js';
import { contradicted, CONTRADICTIONS } from '../../src/pathway/contradictions.js';
import { Pathway } from '../../src/pathway/run.js';
import { RULES } from '../../src/pathway/rules/index.js';
import { Terminology } from '../../src/terminology/valuesets.js';
import { pathwayConfig, terminology } from '../helpers/pathway.js';

/** The start-up check (src/pathway/check.ts): data and rules agree, or the service does not start. */
const templates = loadCardTemplates();

function withTemplate(topic: string, change: (t: Record<string, unknown>) => void): CardTemplates {
  const byTopic = new Map(templates.byTopic);
  const copy = structuredClone(byTopic.get(topic as never)) as unknown as Record<string, unknown>;
  change(copy);
  byTopic.set(topic as never, copy as never);
  return { ...templates, byTopic };
}

describe('the pathway check', () => {
  test('the shipped value sets, rules and cards agree', () => {
    expect(checkPathway(terminology, templates, pathwayConfig)).toEqual([]);
    expect(() => new Pathway(terminology, templates, pathwayConfig)).not.toThrow();
  });

  test('a value-set id without a file is found', () => {
    const fewer = new Terminology(
      [...terminology.valueSets.values()].filter((v) => v.id !== 'medication-ssri'),
      [...terminology.products.values()],
    );
    expect(checkPathway(fewer, templates, pathwayConfig)).toEqual([
      'value set "medication-ssri" has no file valuesets/medication-ssri.json',
    ]);
  });

  test('a suggestion a rule offers but its card lacks is found, and the service refuses to start', () => {
    const broken = withTemplate('nsaid-gastroprotection', (t) => {
      delete (t['suggestions'] as Record<string, unknown>)['order-pantoprazole'];
    });
    expect(checkPathway(terminology, broken, pathwayConfig)).toEqual([
      'nsaid-gastroprotection: card has no suggestion "order-pantoprazole"',
    ]);
    expect(() => new Pathway(terminology, broken, pathwayConfig)).toThrow(/order-pantoprazole/);
  });

  test('a placeholder the card never receives is found; its own evidence, list texts and shared values resolve', () => {
    const broken = withTemplate('mri-without-contrast', (t) => {
      t['detail'] = `${String(t['detail'])} {{radiograph.date}} {{nsaidsText}} {{config.lookbackMonths}} {{clopidogrelText}}`;
    });
    expect(checkPathway(terminology, broken, pathwayConfig)).toEqual([
      'mri-without-contrast: detail uses {{clopidogrelText}}, which this card never receives',
    ]);
  });

  test('every rule offers only suggestions its card has, and declares its conditions', () => {
    for (const rule of RULES) {
      expect(rule.when.length).toBeGreaterThan(0);
      for (const c of [...rule.when, ...rule.unless]) expect(c.name).toMatch(/^[a-zA-Z]/);
    }
  });
});

describe('contradicting cards', () => {
  test('the later step of a contradicting pair is dropped', () => {
    expect(contradicted(['exercise-therapy-first', 'orthopedic-referral', 'add-acetaminophen'])).toEqual([
      { keep: 'exercise-therapy-first', drop: 'orthopedic-referral', why: expect.any(String) as string },
    ]);
    expect(contradicted(['orthopedic-referral', 'add-acetaminophen'])).toEqual([]);
  });
  test('the pairs name patient-view topics only', () => {
    const patientView = new Set(RULES.filter((r) => r.hooks === 'patient-view').map((r) => r.topic));
    for (const [keep, drop] of CONTRADICTIONS) expect([patientView.has(keep), patientView.has(drop)]).toEqual([true, true]);
  });
});

describe('the rules exclude contradicting pairs by their conditions (the guard never has to act)', () => {
  test('on every scenario', async () => {
    const { loadScenario, scenarioNames } = await import('../../tools/fixtures/scenarios.js');
    const pathway = new Pathway(terminology, templates, pathwayConfig);
    const now = new Date();
    const dropped = scenarioNames().flatMap((name) => {
      const s = loadScenario(name, now);
      const run = pathway.run(s.hook, {
        now,
        context: { patientId: s.patientId },
        entries: [s.patient, ...s.resources].map((resource) => ({ resource })),
        draftOrders: (s.draftOrders ?? []).map((resource) => ({ resource })),
        ...(s.hook === 'order-select' ? { selections: s.selections ?? [] } : {}),
      });
      return run.notes.filter((n) => n.includes('dropped beside')).map((n) => `${name}: ${n}`);
    });
    expect(dropped).toEqual([]);
  });
});
