import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { PNG } from 'pngjs';
import type { CdsResponse } from '../../src/cds/types.js';
import { loadCardTemplates } from '../../src/cards/templates.js';
import { projectPath } from '../../src/data-files.js';
import { loadServiceRegistry } from '../../src/cds/registry.js';
import { ALL_TOPICS } from '../../src/pathway/topics.js';
import { loadTerminology } from '../../src/terminology/valuesets.js';
import { loadScenario } from '../../tools/fixtures/scenarios.js';
import { scenarioRequest } from '../helpers/scenario-call.js';

/**
 * The pathway site in a real browser: Debian's Chromium (headless), driven by playwright-core, against the
 * compiled service started as `npm start` starts it. Pages render without console errors, every topic link
 * resolves, a card's source.url opens its topic page, the example card and the feedback chart are visible, and a
 * screenshot of the card is checked for its structure (size, the indicator's colour bar, text), not a pixel hash.
 * .ci/run installs Chromium; elsewhere set CHROMIUM_PATH or install Debian's `chromium`.
 */
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env['CI'] !== undefined) throw new Error(`CI needs Chromium at ${CHROMIUM} (.ci/run installs it)`);
if (!haveChromium) console.warn(`Chromium not found at ${CHROMIUM}: the browser tests are skipped (CI runs them)`);
const maybe = haveChromium ? describe : describe.skip;

let child: ChildProcess | undefined;
let browser: Browser | undefined;
let base = '';

async function startService(): Promise<string> {
  const proc = spawn(process.execPath, [projectPath('dist', 'src', 'server.js')], {
    env: { PATH: process.env['PATH'] ?? '', HOST: '127.0.0.1', PORT: '0', FEEDBACK_STORE: 'memory', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = proc;
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`the service did not start: ${out}`));
    }, 15_000);
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      for (const line of out.split('\n')) {
        if (!line.includes('hip-pain-cds listening')) continue;
        clearTimeout(timer);
        resolve(`http://127.0.0.1:${String((JSON.parse(line) as { port: number }).port)}`);
      }
    });
    proc.on('exit', (code) => {
      reject(new Error(`the service exited (${String(code)}): ${out}`));
    });
  });
}

beforeAll(async () => {
  if (!haveChromium) return;
  base = await startService();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  child?.kill('SIGKILL');
});

/** A card issued by the running service, with feedback on it, so the topic page has a chart to show. */
async function issueCardWithFeedback(): Promise<CdsResponse['cards'][number]> {
  const registry = loadServiceRegistry(loadTerminology());
  const s = loadScenario('nsaid-gastroprotection-age-71', new Date());
  const res = await fetch(`${base}/cds-services/hip-pain-patient-view`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(scenarioRequest(s, registry, { prefetch: 'full' })),
  });
  const card = ((await res.json()) as CdsResponse).cards.find((c) => c.source.topic?.code === 'nsaid-gastroprotection');
  if (card === undefined) throw new Error('no nsaid-gastroprotection card');
  const feedback = await fetch(`${base}/cds-services/hip-pain-patient-view/feedback`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      feedback: [
        {
          card: card.uuid,
          outcome: 'overridden',
          overrideReason: { reason: card.overrideReasons?.[0] },
          outcomeTimestamp: new Date().toISOString(),
        },
      ],
    }),
  });
  expect(feedback.status).toBe(200);
  return card;
}

maybe('the pathway site in headless Chromium', () => {
  test('the index renders every topic, and every link on it resolves', async () => {
    const page = await (browser as Browser).newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    const res = await page.goto(`${base}/pathway`);
    expect(res?.status()).toBe(200);
    expect(await page.locator('h1').count()).toBe(1);
    const hrefs = (
      await page
        .locator('main a')
        .evaluateAll((as: { getAttribute(name: string): string | null }[]) => as.map((a) => a.getAttribute('href') ?? ''))
    ).map((h) => new URL(h, `${base}/pathway`).href);
    for (const topic of ALL_TOPICS) expect(hrefs).toContain(`${base}/pathway/${topic}`);
    for (const href of new Set(hrefs)) {
      const r = await page.request.get(href);
      expect([href, r.status()]).toEqual([href, 200]);
    }
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  test("a card's source.url opens its topic page: the example card and the feedback chart are visible", async () => {
    const card = await issueCardWithFeedback();
    const templates = loadCardTemplates();
    const page = await (browser as Browser).newPage({ viewport: { width: 1100, height: 900 }, deviceScaleFactor: 1 });
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    const res = await page.goto(card.source.url ?? 'about:blank');
    expect(res?.status()).toBe(200);
    expect(await page.locator('h1').textContent()).toBe(templates.byTopic.get('nsaid-gastroprotection')?.display);

    const example = page.locator('article.card');
    await example.scrollIntoViewIfNeeded();
    expect(await example.isVisible()).toBe(true);
    expect(await example.locator('.summary').textContent()).toBe(card.summary);
    const box = await example.boundingBox();
    expect(box?.width ?? 0).toBeGreaterThan(300);
    expect(box?.height ?? 0).toBeGreaterThan(100);

    // The screenshot's structure: the element's size, the warning colour bar down its left edge, and text in it.
    const png = PNG.sync.read(await example.screenshot());
    expect(Math.abs(png.width - Math.round(box?.width ?? 0))).toBeLessThanOrEqual(1);
    const at = (x: number, y: number): [number, number, number] => {
      const i = (y * png.width + x) * 4;
      return [png.data[i] ?? 0, png.data[i + 1] ?? 0, png.data[i + 2] ?? 0];
    };
    const warning: [number, number, number] = [0xb3, 0x59, 0x00];
    const bar = [0.25, 0.5, 0.75].map((f) => at(2, Math.floor(png.height * f)));
    for (const c of bar) expect(c.every((v, i) => Math.abs(v - (warning[i] ?? 0)) <= 24)).toBe(true);
    let dark = 0;
    for (let y = 0; y < png.height; y += 2) for (let x = 20; x < png.width; x += 2) if (at(x, y).every((v) => v < 100)) dark++;
    expect(dark).toBeGreaterThan(500); // the summary and detail text

    const chart = page.locator('#feedback ~ figure svg, section[aria-labelledby="feedback"] figure svg');
    await chart.first().scrollIntoViewIfNeeded();
    expect(await chart.first().isVisible()).toBe(true);
    expect(await chart.first().locator('path, rect').count()).toBeGreaterThan(3);
    expect(await page.locator('section[aria-labelledby="feedback"] figcaption').textContent()).toContain('1 overridden');
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  test('every topic page renders in the browser with its example card and no console error', async () => {
    const page = await (browser as Browser).newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    for (const topic of ALL_TOPICS) {
      const res = await page.goto(`${base}/pathway/${topic}`);
      expect([topic, res?.status()]).toEqual([topic, 200]);
      expect([topic, await page.locator('article.card').isVisible()]).toEqual([topic, true]);
    }
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  test('the burden report opens as a file: its charts are visible, nothing is fetched, no console error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'burden-report-'));
    try {
      const report = join(dir, 'report.html');
      execFileSync(process.execPath, [
        projectPath('dist', 'tools', 'burden', 'cli.js'),
        projectPath('fhir-fixtures', 'synthea'),
        '--out',
        report,
        '--quiet',
      ]);
      const page = await (browser as Browser).newPage({ viewport: { width: 1000, height: 900 } });
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('request', (r) => {
        if (!r.url().startsWith('file:')) requests.push(r.url());
      });
      await page.goto(`file://${report}`);
      const charts = page.locator('figure svg');
      expect(await charts.count()).toBe(2);
      for (const i of [0, 1]) {
        await charts.nth(i).scrollIntoViewIfNeeded();
        expect(await charts.nth(i).isVisible()).toBe(true);
        const box = await charts.nth(i).boundingBox();
        expect(box?.width ?? 0).toBeGreaterThan(200);
        expect(box?.height ?? 0).toBeGreaterThan(150);
        expect(await charts.nth(i).locator('path, rect').count()).toBeGreaterThan(3);
      }
      expect(await page.locator('h1').textContent()).toContain('Alert burden');
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
      await page.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
