/**
 * Small HTML building blocks for the pathway site: every value is escaped where it is placed, pages share one
 * accessible layout (language, landmarks, a skip link, visible focus), and nothing needs JavaScript.
 */

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/** A tagged template that escapes every interpolated value unless it is already `Html`. */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

type Part = Html | string | number | undefined | null | false | readonly Part[];

function partToString(p: Part): string {
  if (p === undefined || p === null || p === false) return '';
  if (p instanceof Html) return p.value;
  if (Array.isArray(p)) return (p as readonly Part[]).map(partToString).join('');
  return escapeHtml(p);
}

export function html(strings: TemplateStringsArray, ...parts: Part[]): Html {
  let out = strings[0] ?? '';
  for (let i = 0; i < parts.length; i++) out += partToString(parts[i]) + (strings[i + 1] ?? '');
  return new Html(out);
}

export const raw = (s: string): Html => new Html(s);

const STYLE = `
:root { color-scheme: light; --ink: #1b1f23; --muted: #57606a; --line: #d0d7de; --accent: #0b5cad; }
* { box-sizing: border-box; }
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); margin: 0; }
a { color: var(--accent); }
a:focus, summary:focus { outline: 3px solid #f0b400; outline-offset: 2px; }
.skip { position: absolute; left: -10000px; }
.skip:focus { left: 1rem; top: 1rem; background: #fff; padding: .5rem; }
header, main, footer { max-width: 60rem; margin: 0 auto; padding: 1rem 1.25rem; }
header { border-bottom: 1px solid var(--line); }
header p { margin: 0; color: var(--muted); }
footer { color: var(--muted); font-size: .875rem; border-top: 1px solid var(--line); }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; font-size: .9375rem; }
caption { text-align: left; font-weight: 600; padding: .25rem 0; }
th, td { border: 1px solid var(--line); padding: .35rem .5rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .875em; }
.card { border: 1px solid var(--line); border-left: 6px solid var(--muted); border-radius: 6px; padding: .75rem 1rem; margin: .5rem 0 1rem; }
.card[data-indicator="info"] { border-left-color: #0b5cad; }
.card[data-indicator="warning"] { border-left-color: #b35900; }
.card[data-indicator="critical"] { border-left-color: #b3261e; }
.card .summary { font-weight: 600; margin: 0 0 .5rem; }
.badge { display: inline-block; border-radius: 4px; padding: 0 .4rem; font-size: .8125rem; background: #eaeef2; }
.suggestion { border-top: 1px dashed var(--line); padding-top: .5rem; margin-top: .5rem; }
.muted { color: var(--muted); }
ul.topics li { margin: .25rem 0; }
figure { margin: .5rem 0 1rem; }
figure svg { max-width: 100%; height: auto; }
`;

export function page(title: string, body: Html, options: { subtitle?: string; prefix?: string } = {}): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<a class="skip" href="#content">Skip to content</a>
${html`<header><nav aria-label="Site"><a href="${options.prefix ?? ''}/pathway">Hip pain pathway</a></nav>${options.subtitle !== undefined ? html`<p>${options.subtitle}</p>` : ''}</header>`.value}
<main id="content">
${body.value}
</main>
<footer><p>Served by the hip-pain-cds CDS Hooks service. These pages hold no patient data.</p></footer>
</body>
</html>
`;
}
