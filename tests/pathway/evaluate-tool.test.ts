import { readdirSync } from 'node:fs';
import { loadCardTemplates } from '../../src/cards/templates.js';
import { projectPath } from '../../src/data-files.js';
import { Pathway } from '../../src/pathway/run.js';
import { evaluateCommand } from '../../tools/evaluate.js';
import { pathwayConfig, terminology } from '../helpers/pathway.js';

/** npm run evaluate -- <file> [--as-of last-encounter|<date>]: a chart seen as it was then. */
const pathway = new Pathway(terminology, loadCardTemplates(), pathwayConfig);
const renea = projectPath(
  'fhir-fixtures',
  'synthea',
  readdirSync(projectPath('fhir-fixtures', 'synthea')).find((f) => f.startsWith('Renea_Quigley')) ?? '',
);
const json = (args: string[]) =>
  JSON.parse(evaluateCommand(args, pathway).stdout) as {
    asOf: string;
    facts: Record<string, string>;
    cards: { source: { topic: { code: string } } }[];
  };
const topics = (r: ReturnType<typeof json>) => r.cards.map((c) => c.source.topic.code);

describe('evaluate --as-of', () => {
  test('last-encounter: the day after the latest encounter; the chart is dormant then', () => {
    const r = json([renea, '--as-of', 'last-encounter', '--json']);
    expect(r.asOf).toBe('2021-03-12T12:00:00.000Z');
    expect(r.facts['active episode']).toBe('no (dormant)');
    expect(topics(r)).toEqual([]);
  });
  test('a date in the episode: the chart as it was (hip OA diagnosed 2014-12-12, no therapy yet)', () => {
    const r = json([renea, '--as-of', '2015-01-09', '--json']);
    expect(r.facts['active episode']).toMatch(/^yes/);
    expect(topics(r)).toEqual(['exercise-therapy-first']);
  });
  test('without --as-of, today: dormant, only the medication-safety card', () => {
    expect(topics(json([renea, '--json']))).toEqual(['nsaid-gastroprotection']);
  });
  test('a bad --as-of or hook is a usage error', () => {
    expect(evaluateCommand([renea, '--as-of', 'soon'], pathway)).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('last-encounter') as string,
    });
    expect(evaluateCommand([renea, '--as-of'], pathway)).toMatchObject({ code: 2 });
    expect(evaluateCommand([renea, '--hook', 'nope'], pathway)).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('unknown hook') as string,
    });
  });
  test('the text output names the as-of date and the facts', () => {
    const out = evaluateCommand([renea, '--as-of', '2015-01-09'], pathway).stdout;
    expect(out).toContain('as of 2015-01-09');
    expect(out).toContain('active episode');
  });
});
