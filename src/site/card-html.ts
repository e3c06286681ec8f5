import { Marked, type Tokens } from 'marked';
import type { Action, Card } from '../cds/types.js';
import { escapeHtml, html, type Html, raw } from './html.js';

/**
 * A CDS card as an EHR shows it: the indicator, the summary, the markdown detail, the source, the suggestions
 * with what each would order, and the override reasons. The markdown is rendered with raw HTML shown as text and
 * only http(s) links, so a card can never inject markup into the page.
 */
const markdown = new Marked({
  gfm: true,
  renderer: {
    html(token: Tokens.HTML | Tokens.Tag): string {
      return escapeHtml(token.text);
    },
    link(token: Tokens.Link): string {
      const text = this.parser.parseInline(token.tokens);
      return /^https?:\/\//i.test(token.href) ? `<a href="${escapeHtml(token.href)}">${text}</a>` : text;
    },
    image(token: Tokens.Image): string {
      return escapeHtml(token.text);
    },
  },
});

export function markdownToHtml(md: string): Html {
  return raw(markdown.parse(md, { async: false }));
}

function codeText(resource: Record<string, unknown> | undefined): string {
  if (resource === undefined) return '';
  const concept = (resource['code'] ?? resource['medicationCodeableConcept']) as
    { text?: string; coding?: { code?: string; display?: string; system?: string }[] } | undefined;
  const coding = concept?.coding?.[0];
  const name = concept?.text ?? coding?.display ?? '';
  return coding?.code !== undefined ? `${name} (${coding.code})` : name;
}

function actionHtml(a: Action): Html {
  const resource = a.resource as unknown as Record<string, unknown> | undefined;
  const what = a.type === 'delete' ? (a.resourceId ?? '') : `${a.resource?.resourceType ?? ''}: ${codeText(resource)}`;
  return html`<li><span class="badge">${a.type}</span> ${a.description} <span class="muted">— ${what}</span></li>`;
}

export function cardHtml(card: Card): Html {
  return html`<article class="card" data-indicator="${card.indicator}" aria-label="Example card">
  <p><span class="badge">${card.indicator}</span> <span class="muted">${card.source.label}</span></p>
  <p class="summary">${card.summary}</p>
  ${card.detail !== undefined ? markdownToHtml(card.detail) : ''}
  ${(card.suggestions ?? []).map(
    (
      s,
    ) => html`<div class="suggestion"><p><strong>${s.label}</strong>${s.isRecommended === true ? html` <span class="badge">recommended</span>` : ''}</p>
    <ul>${(s.actions ?? []).map(actionHtml)}</ul></div>`,
  )}
  ${
    card.overrideReasons !== undefined && card.overrideReasons.length > 0
      ? html`<p class="muted">Override reasons: ${card.overrideReasons.map((r) => r.display ?? r.code ?? '').join('; ')}</p>`
      : ''
  }
  ${card.source.url !== undefined ? html`<p class="muted">Source: <a href="${card.source.url}">${card.source.url}</a></p>` : ''}
</article>`;
}
