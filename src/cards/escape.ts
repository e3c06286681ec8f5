/**
 * Text taken from the record (a condition's display, a medication name, a report title) goes into a card's
 * markdown `detail` only through this function (docs/clinical-spec.md §1: record text can never form a markdown
 * link, image, heading, list or HTML). It:
 *  - joins every line into one (newlines, tabs, Unicode line and paragraph separators and other control characters
 *    become one space), so the text can never start a heading, list, quote, table or code block of its own;
 *  - writes the HTML characters `& < >` as entities, so no tag, comment or autolink `<...>` can form;
 *  - puts a backslash before every other character that opens inline markdown: `\ ` * _ ~ [ ] | #`, and before a
 *    leading list marker or setext underline (`- `, `+ `, `=`, `1. `, `1) `) in case the text opens a line;
 *  - breaks what a renderer would turn into a link on its own (GFM autolinks, markdown-it linkify): `://`, `//`,
 *    `www.`, an e-mail `@` and a `.` between a domain name and its next label get a zero-width space (U+200B), which
 *    a reader does not see.
 * Readable text ("Osteoarthritis of hip (disorder)", "acetaminophen 325 MG / oxycodone 5 MG") passes unchanged.
 */

const ZWSP = '\u200B';

// Line breaks, tabs and the other C0/C1 control characters, and the Unicode line/paragraph separators.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;
const HTML: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };
const HTML_CHARS = /[&<>]/g;
const INLINE_MARKDOWN = /[\\`*_~[\]|#]/g;
const LEADING_BLOCK_MARKER = /^([-+=])(?=[\s\-+=]|$)|^(\d{1,9})([.)])(?=\s|$)/;
// Autolink openers: a scheme's "://" (and any "//"), "www.", an e-mail "@", a "." followed by a letter
// ("evil.com", linkify's fuzzy links).
const LINK_OPENERS = /(\/)(?=\/)|(\bwww)(?=\.)|(@)|(\.)(?=[a-z])/gi;

// Whatever any replacement below would change; text without any of it (most record text, every date and score)
// is returned as it is, without the six passes.
// eslint-disable-next-line no-control-regex
const ANY_TO_ESCAPE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029&<>\\`*_~[\]|#@]| {2}|\/\/|www\.|\.[a-z]|^[-+=]|^\d{1,9}[.)]/i;

export function escapeRecordText(value: unknown): string {
  const text = String(value);
  if (!ANY_TO_ESCAPE.test(text) && text.trim() === text) return text;
  return escapeEveryPass(text);
}

/** The escaping itself, every pass (escapeRecordText skips it for text it would leave unchanged). */
export function escapeEveryPass(text: string): string {
  const oneLine = text.replace(CONTROL, ' ').replace(/ {2,}/g, ' ').trim();
  const escaped = oneLine
    .replace(HTML_CHARS, (c) => HTML[c] ?? c)
    .replace(INLINE_MARKDOWN, (c) => `\\${c}`)
    .replace(LEADING_BLOCK_MARKER, (m: string, sign: string | undefined, digits: string | undefined, dot: string | undefined) =>
      sign !== undefined ? `\\${sign}` : `${digits ?? ''}\\${dot ?? m}`,
    );
  return escaped.replace(LINK_OPENERS, (m: string, slash: string | undefined, www: string | undefined, at: string | undefined) => {
    if (slash !== undefined) return `${slash}${ZWSP}`;
    if (www !== undefined) return `${www}${ZWSP}`;
    if (at !== undefined) return `${ZWSP}@`;
    return `.${ZWSP}`;
  });
}
