import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { PROJECT_ROOT } from '../../src/data-files.js';

/**
 * Every relative link of the markdown docs leads somewhere: the file exists, and a `#section` names a heading
 * of that file (GitHub's anchors: lower case, punctuation dropped, spaces as hyphens).
 */
/** The markdown files git tracks (outside a git checkout: the top-level ones and docs/). */
function markdownFiles(): string[] {
  let files: string[];
  try {
    const out = execFileSync('git', ['ls-files', '-z', '--', '*.md'], { cwd: PROJECT_ROOT, encoding: 'utf8' });
    files = out.split('\0');
  } catch {
    files = [...readdirSync(PROJECT_ROOT), ...readdirSync(join(PROJECT_ROOT, 'docs')).map((f) => `docs/${f}`)].filter((f) =>
      f.endsWith('.md'),
    );
  }
  return files.filter((f) => f !== '' && existsSync(join(PROJECT_ROOT, f)));
}

function anchors(file: string): Set<string> {
  const text = readFileSync(join(PROJECT_ROOT, file), 'utf8').replace(/```[\s\S]*?```/g, '');
  const slugs = new Set<string>();
  for (const m of text.matchAll(/^#{1,6} (.+)$/gm)) {
    const slug = (m[1] ?? '')
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N} _-]/gu, '')
      .replace(/ /g, '-');
    slugs.add(slug);
  }
  return slugs;
}

test('every relative link in the docs leads to a file and a heading that exist', () => {
  const broken: string[] = [];
  for (const file of markdownFiles()) {
    const text = readFileSync(join(PROJECT_ROOT, file), 'utf8').replace(/```[\s\S]*?```/g, '');
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1] ?? '';
      if (/^[a-z]+:/i.test(target)) continue; // https:, mailto:
      const [path = '', anchor] = target.split('#');
      const resolved = path === '' ? file : normalize(join(dirname(file), path));
      if (!existsSync(join(PROJECT_ROOT, resolved))) {
        broken.push(`${file}: ${target} (no such file)`);
        continue;
      }
      if (anchor !== undefined && anchor !== '' && resolved.endsWith('.md') && !anchors(resolved).has(anchor))
        broken.push(`${file}: ${target} (no such heading)`);
    }
  }
  expect(broken).toEqual([]);
});
