import MarkdownIt from 'markdown-it';
import fc from 'fast-check';
import { escapeEveryPass, escapeRecordText } from '../../src/cards/escape.js';
import { loadScenario } from '../../tools/fixtures/scenarios.js';
import { cds } from '../helpers/cds-client.js';
import { scenarioRequest, SERVICE_FOR_HOOK } from '../helpers/scenario-call.js';
import { testService, type TestService } from '../helpers/service.js';

/**
 * Record text in a card (docs/clinical-spec.md §1) can never form a link, image, heading, list or HTML. Each hostile
 * string is escaped and rendered by a real markdown renderer with everything switched on (raw HTML, linkify of
 * bare URLs, www. and e-mail addresses), in the places a card puts record text: inside a sentence, at the start of
 * a line, and in a list item.
 */
const md = new MarkdownIt({ html: true, linkify: true });

const HOSTILE = [
  '[click here](https://evil.example/steal)',
  '![pixel](https://evil.example/p.png)',
  '<img src=x onerror=alert(1)>',
  '<script>alert(1)</script>',
  '<a href="https://evil.example">hip pain</a>',
  '<!-- comment -->hip pain',
  'see https://evil.example/login now',
  'visit www.evil.example today',
  'mail doctor@evil.example',
  'evil.example',
  '//evil.example/x',
  '<https://evil.example>',
  'Hip pain\n# Heading injected',
  'Hip pain\n\n- injected list item\n- second',
  '# heading',
  '- list item',
  '+ list item',
  '1. numbered',
  '2) numbered',
  '> quoted',
  '    indented code',
  '```\ncode\n```',
  '`code`',
  '**bold** and _italic_ and ~~strike~~',
  '| a | b |\n|---|---|\n| c | d |',
  'Hip pain\n===',
  'Hip pain\u2028# after a line separator',
  'Hip pain\r\n<b>bold</b>',
  '[ref]: https://evil.example\n[ref]',
  '&lt;script&gt; &amp;',
  'javascript:alert(1)',
  '\\[escaped\\](https://evil.example)',
];

/** The HTML elements (and comments) a rendering contains, in order. */
function structure(html: string): string[] {
  return [...html.matchAll(/<(\/?[a-z][a-z0-9]*|!--)/gi)].map((m) => (m[1] ?? '').toLowerCase());
}

/** A card puts record text inside a sentence, at the start of a line, in a list item and after bold text. */
function placements(text: string): string[] {
  return [`Why: ${text}; more`, text, `- ${text}`, `**Why:** ${text}.`];
}

describe('escapeRecordText', () => {
  test.each(HOSTILE)('%j forms no link, image, heading, list or HTML', (hostile) => {
    const escaped = escapeRecordText(hostile);
    const plain = placements('plain');
    placements(escaped).forEach((doc, i) => {
      // The rendering has exactly the structure the template gives with harmless text in its place.
      expect({ doc, structure: structure(md.render(doc)) }).toEqual({ doc, structure: structure(md.render(plain[i] ?? '')) });
    });
  });

  test('joins lines: the escaped text is one line', () => {
    for (const hostile of HOSTILE) expect(escapeRecordText(hostile)).not.toMatch(/[\r\n\u2028\u2029]/);
  });

  test('readable record text passes unchanged', () => {
    for (const text of [
      'Osteoarthritis of hip (disorder)',
      'acetaminophen 325 MG / oxycodone hydrochloride 5 MG Oral Tablet',
      'Unilateral primary osteoarthritis, left hip',
      'Pain 0-10 6/10 (2026-09-01) → 5/10 (2026-11-24)',
      'naproxen 500 MG Oral Tablet (since 2026-10-06)',
      '1.5 g',
    ])
      expect(escapeRecordText(text)).toBe(text);
  });

  test('shows the same characters once rendered (escapes are invisible)', () => {
    const text = 'Hip [L] #2 <note> a_b *c*';
    const html = md.renderInline(escapeRecordText(text));
    expect(html).toBe('Hip [L] #2 &lt;note&gt; a_b *c*');
  });

  test('non-strings are written as text', () => {
    expect(escapeRecordText(42)).toBe('42');
    expect(escapeRecordText(undefined)).toBe('undefined');
  });
});

describe('record text on a real card', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await testService();
  });
  afterAll(() => service.close());

  async function detailWith(display: string | undefined): Promise<string> {
    const s = loadScenario('exercise-therapy-first-new-hip-pain', new Date());
    const resources = s.resources.map((r) =>
      r.resourceType === 'Condition' && display !== undefined ? { ...r, code: { ...r.code, text: display } } : r,
    );
    const res = await cds(service.app).hook(SERVICE_FOR_HOOK[s.hook], scenarioRequest({ ...s, resources }, service.registry, { prefetch: 'full' }));
    const card = res.body.cards.find((c) => c.source.topic?.code === 'exercise-therapy-first');
    return card?.detail ?? '';
  }

  test('a hostile condition name leaves the card with the structure it has for a plain one', async () => {
    const plain = await detailWith('Hip pain');
    const hostile = await detailWith('[Hip pain](https://evil.example)\n# Refer now\n- <img src=x onerror=alert(1)> www.evil.example');
    expect(hostile).toContain('evil');
    expect(structure(md.render(hostile))).toEqual(structure(md.render(plain)));
  });
});

describe('the fast path', () => {
  test('text returned as it is is exactly the text every pass would leave unchanged', () => {
    const alphabet = [...Array.from('aZ09 .-+=/@&<>\\`*_~[]|#)\t\n\u00a0\u2028'), 'www', 'http', '1.', '12)', '  '];
    const text = fc.array(fc.constantFrom(...alphabet), { maxLength: 12 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(text, (s) => {
        expect(escapeRecordText(s)).toBe(escapeEveryPass(s));
      }),
      { numRuns: 5000 },
    );
    for (const s of ['Osteoarthritis of hip (disorder)', '2026-09-28', '16 weeks', '12. not a list', 'evil.com', ' lead', 'trail '])
      expect(escapeRecordText(s)).toBe(escapeEveryPass(s));
  });
});
