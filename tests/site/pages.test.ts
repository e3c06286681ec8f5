// Jest's ESM loader cannot link a package that a module imports dynamically for the first time ("request for
// './accessor.js' is not in cache"): the chart libraries, which the service loads on first use, are linked here
// first. (tests/site/browser.test.ts runs the compiled service as a process, where the dynamic import is real.)
import 'vega';
import 'vega-lite';
import request from 'supertest';
import type { CdsResponse } from '../../src/cds/types.js';
import { RULES } from '../../src/pathway/rules/index.js';
import { ALL_TOPICS } from '../../src/pathway/topics.js';
import { loadScenario } from '../../tools/fixtures/scenarios.js';
import { cds } from '../helpers/cds-client.js';
import { scenarioRequest } from '../helpers/scenario-call.js';
import { testService, type TestService } from '../helpers/service.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The pathway site as HTML: every topic has a page with its rule, thresholds, value sets, example and sources. */
let service: TestService;
beforeAll(async () => {
  service = await testService();
});
afterAll(() => service.close());

const ENTITIES: Record<string, string> = { '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'", '&amp;': '&' };
const text = (html: string): string =>
  html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&(lt|gt|quot|#39|amp);/g, (e) => ENTITIES[e] ?? e)
    .replace(/\s+/g, ' ');

describe('GET /pathway', () => {
  test('lists every topic under its hook, each linking to its page', async () => {
    const res = await request(service.app).get('/pathway');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    const html = res.text;
    expect(html).toMatch(/^<!doctype html>\n<html lang="en">/);
    const patientView = html.slice(html.indexOf('id="hook-patient-view"'), html.indexOf('id="hook-order"'));
    const order = html.slice(html.indexOf('id="hook-order"'), html.indexOf('id="config"'));
    for (const rule of RULES) {
      expect(rule.hooks === 'patient-view' ? patientView : order).toContain(`href="/pathway/${rule.topic}"`);
    }
    expect(html).not.toMatch(/<script/i);
  });
});

describe('GET /pathway/<topic>', () => {
  test.each(ALL_TOPICS.map((t) => [t]))(
    '%s: rule, thresholds, value sets, the card as the EHR shows it, sources',
    async (topic) => {
      const res = await request(service.app).get(`/pathway/${topic}`);
      expect(res.status).toBe(200);
      const html = res.text;
      const rule = RULES.find((r) => r.topic === topic);
      for (const id of ['rule', 'data', 'thresholds', 'valuesets', 'example', 'sources', 'feedback'])
        expect(html).toContain(`id="${id}"`);
      for (const type of rule?.needs ?? []) expect(html).toContain(`<li><code>${type}</code></li>`);
      for (const c of [...(rule?.when ?? []), ...(rule?.unless ?? [])]) expect(text(html)).toContain(text(c.name));
      for (const vs of rule?.valueSets ?? []) expect(html).toContain(`<code>${vs}</code>`);
      // Every topic has a scenario that makes it fire: its card is shown with its summary and source link.
      expect(html).toContain('<article class="card"');
      expect(html).toContain(`href="/pathway/${topic}"`);
      expect(html).not.toMatch(/<script/i);
    },
  );

  test('every declared value set exists, and its codes are listed with display and source', async () => {
    const res = await request(service.app).get('/pathway/nsaid-gastroprotection');
    const ppi = service.terminology.valueSet('medication-ppi');
    for (const c of ppi.codes) expect(res.text).toContain(`<code>${c.code}</code>`);
    for (const rule of RULES) for (const id of rule.valueSets) expect(() => service.terminology.valueSet(id)).not.toThrow();
  });

  test('an unknown topic answers 404 with an OperationOutcome', async () => {
    const res = await cds(service.app).get('/pathway/no-such-topic');
    expect(res.status).toBe(404);
  });

  test('thresholds are shown as configured (PATHWAY_CONFIG), not as the defaults', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pathway-config-'));
    const file = join(dir, 'pathway.yaml');
    writeFileSync(file, 'lookbackMonths: 9\n');
    const configured = await testService({ PATHWAY_CONFIG: file });
    try {
      const res = await request(configured.app).get('/pathway/radiographs-first');
      expect(res.text).toMatch(/<code>lookbackMonths<\/code><\/td><td>9<\/td>/);
      const index = await request(configured.app).get('/pathway');
      expect(index.text).toMatch(/<code>lookbackMonths<\/code><\/td><td>9<\/td>/);
    } finally {
      await configured.close();
    }
  });
});

describe('cards link to their topic page', () => {
  test("every card's source.url is its topic page, absolute, from the request's host", async () => {
    const s = loadScenario('nsaid-gastroprotection-age-71', new Date());
    const res = await cds(service.app).post(
      '/cds-services/hip-pain-patient-view',
      scenarioRequest(s, service.registry, { prefetch: 'full' }),
      { Host: 'cds.example.test' },
    );
    const cards = (res.body as CdsResponse).cards;
    expect(cards.length).toBeGreaterThan(0);
    for (const card of cards) expect(card.source.url).toBe(`http://cds.example.test/pathway/${card.source.topic?.code ?? ''}`);
  });

  test('behind a proxy, source.url and the page links follow PUBLIC_BASE_URL (with its path)', async () => {
    const proxied = await testService({ PUBLIC_BASE_URL: 'https://cds.example.org/hip' });
    try {
      const s = loadScenario('nsaid-gastroprotection-age-71', new Date());
      const res = await cds(proxied.app).post(
        '/cds-services/hip-pain-patient-view',
        scenarioRequest(s, proxied.registry, { prefetch: 'full' }),
      );
      for (const card of (res.body as CdsResponse).cards)
        expect(card.source.url).toBe(`https://cds.example.org/hip/pathway/${card.source.topic?.code ?? ''}`);
      const index = await request(proxied.app).get('/pathway');
      expect(index.text).toContain('href="/hip/pathway/radiographs-first"');
    } finally {
      await proxied.close();
    }
  });
});

describe('feedback on the topic page', () => {
  test("after feedback, the page shows that topic's answers as a chart and a table", async () => {
    const s = loadScenario('nsaid-gastroprotection-age-71', new Date());
    const res = await cds(service.app).post(
      '/cds-services/hip-pain-patient-view',
      scenarioRequest(s, service.registry, { prefetch: 'full' }),
    );
    const card = (res.body as CdsResponse).cards.find((c) => c.source.topic?.code === 'nsaid-gastroprotection');
    expect(card).toBeDefined();
    const reason = card?.overrideReasons?.[0];
    const fb = await cds(service.app).post('/cds-services/hip-pain-patient-view/feedback', {
      feedback: [
        { card: card?.uuid, outcome: 'overridden', overrideReason: { reason }, outcomeTimestamp: new Date().toISOString() },
      ],
    });
    expect(fb.status).toBe(200);
    const page = await request(service.app).get('/pathway/nsaid-gastroprotection');
    expect(page.text).toContain('<figure role="img"');
    expect(page.text).toContain('<svg');
    expect(text(page.text)).toContain(`overridden: ${reason?.display ?? ''} 1`);
    const other = await request(service.app).get('/pathway/radiographs-first');
    expect(other.text).toContain("No feedback on this topic's cards yet.");
  });
});
