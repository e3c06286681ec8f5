import Mustache from 'mustache';
import { escapeRecordText } from '../../src/cards/escape.js';
import { LayeredView, renderTemplate } from '../../src/cards/compiled-template.js';
import { loadCardTemplates } from '../../src/cards/templates.js';
import { baseView, buildView, present } from '../../src/cards/view.js';
import { evaluatePathway } from '../../src/pathway/evaluate.js';
import { RecordIndexer } from '../../src/record/index-record.js';
import { loadScenario, scenarioNames } from '../../tools/fixtures/scenarios.js';
import { pathwayConfig, terminology } from '../helpers/pathway.js';

/**
 * The compiled templates (src/cards/compiled-template.ts) write what Mustache writes: on Mustache's own edge cases,
 * and on every template string of cards/ with the views of every scenario's cards.
 */
const plain = (v: unknown): string => String(v);
const mustache = (template: string, view: unknown, partials: Record<string, string> = {}, escape = plain): string =>
  Mustache.render(template, view, partials, { escape });

describe('compiled templates write what Mustache writes', () => {
  const cases: [string, unknown, Record<string, string>?][] = [
    ['plain text, no tags', {}],
    ['{{a}} and {{b}} and {{missing}}', { a: 'x', b: 0 }],
    ['{{a.b.c}} / {{a.b}} / {{a.x.y}}', { a: { b: { c: 1.5 } } }],
    ['{{#list}}[{{name}}{{^last}}, {{/last}}]{{/list}}', { list: [{ name: 'n1' }, { name: 'n2', last: true }] }],
    ['{{#list}}x{{/list}}{{^list}}none{{/list}}', { list: [] }],
    ['{{#obj}}{{v}} {{outer}}{{/obj}}', { obj: { v: 'inner' }, outer: 'up the stack' }],
    ['{{#s}}<{{.}}>{{/s}} {{#n}}[{{.}}]{{/n}} {{#t}}yes{{/t}}{{#f}}no{{/f}}{{^f}}not f{{/f}}', { s: 'str', n: 3, t: true, f: false }],
    ['{{#zero}}z{{/zero}}{{^zero}}zero is falsy{{/zero}} {{#empty}}e{{/empty}}{{^empty}}empty string{{/empty}}', { zero: 0, empty: '' }],
    ['{{#a}}{{a.b}}{{/a}} {{#a}}{{b}}{{/a}}', { a: { b: 'dotted inside' } }],
    ['{{#u}}{{x}}{{/u}}', { u: { x: undefined }, x: 'parent x' }],
    ['{{s.length}}', { s: 'abcd' }],
    ['before\n  {{> p}}\nafter', { v: 1 }, { p: 'line one {{v}}\nline two\n' }],
    ['{{> p}} inline {{> missing}}', { v: 'x' }, { p: '{{v}}{{#v}}!{{/v}}' }],
    ['{{#list}}\n  - {{.}}\n{{/list}}\n', { list: ['a', 'b'] }],
    ['{{! a comment }}text{{=<% %>=}}<% a %>', { a: 'changed delimiters' }],
    ['{{&a}} {{{b}}}', { a: '<b>', b: '*c*' }],
  ];
  test.each(cases)('%j', (template, view, partials = {}) => {
    expect(renderTemplate(template, view, plain, partials)).toBe(mustache(template, view, partials));
    expect(renderTemplate(template, view, escapeRecordText, partials)).toBe(mustache(template, view, partials, escapeRecordText));
  });

  // Layers read as `{ ...outer, ...own }`: the innermost layer that has a name (or a dotted name's first part) gives
  // it, even when its value is undefined or has no such member, and a name no layer has is looked up the sections.
  const outer = { a: 'outer a', b: { c: 'outer b.c', d: 'outer b.d' }, list: [{ x: 1 }, { x: 2 }], up: 'outer up' };
  const layered: [string, LayeredView][] = [
    ['{{a}} {{b.c}} {{b.d}} {{missing}} {{up}}', new LayeredView({ a: 'own a', b: { c: 'own b.c' } }, outer)],
    ['{{a}}|{{b.c}}|{{#b}}{{d}}{{/b}}', new LayeredView({ a: undefined, b: undefined }, outer)],
    ['{{#list}}{{x}}{{a}},{{/list}} {{^none}}no none{{/none}}', new LayeredView({ a: '!' }, new LayeredView({ a: 'middle' }, outer))],
    ['{{#list}}{{up}}{{/list}} {{order.display}}/{{order.ref}}', new LayeredView({ order: { display: 'MRI' } }, outer)],
  ];
  test.each(layered)('layered: %j', (template, view) => {
    expect(renderTemplate(template, view, plain)).toBe(mustache(template, view.merged()));
    expect(view.get('a')).toBe(view.merged()['a']);
  });

  test('every template of cards/, with the views of every scenario card', () => {
    const templates = loadCardTemplates();
    const { shared } = templates;
    const indexer = new RecordIndexer(terminology);
    const now = new Date();
    let compared = 0;
    for (const name of scenarioNames()) {
      const s = loadScenario(name, now);
      const record = indexer.index({
        now,
        context: { patientId: s.patientId, userId: 'Practitioner/test' },
        entries: [s.patient, ...s.resources].map((resource) => ({ resource })),
        draftOrders: (s.draftOrders ?? []).map((resource) => ({ resource })),
        ...(s.hook === 'order-select' ? { selections: s.selections ?? [] } : {}),
      });
      const result = evaluatePathway(record, s.hook, pathwayConfig);
      const base = baseView(result.facts, pathwayConfig, shared);
      for (const finding of result.findings) {
        const t = templates.byTopic.get(finding.topic);
        if (t === undefined) throw new Error(`no template for ${finding.topic}`);
        // The card's view is a layer on the call's: rendered, it must read as the merged object does in Mustache.
        const view = buildView(base, finding, now);
        const merged = view.merged();
        const strings = [t.summary, t.detail, ...Object.values(t.suggestions ?? {}).flatMap((st) => [st.label, ...st.actions.map((a) => a.description)])];
        for (const template of strings) {
          for (const escape of [plain, escapeRecordText]) {
            expect(renderTemplate(template, view, escape, shared.partials)).toBe(mustache(template, merged, shared.partials, escape));
            compared++;
          }
        }
        const orderView = new LayeredView({ order: present(finding.suggestions[0]?.orders?.[0]) }, view);
        for (const st of Object.values(t.suggestions ?? {}))
          expect(renderTemplate(st.label, orderView, plain)).toBe(mustache(st.label, orderView.merged()));
      }
    }
    expect(compared).toBeGreaterThan(100);
  });
});
