import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PROJECT_ROOT } from '../../src/data-files.js';

/**
 * The repository stands on its own: no tracked file may point outside it. The clinical contract is
 * docs/clinical-spec.md (cited as `docs/clinical-spec.md §N`); the sources and synthetic records it was made
 * from live outside the repository and are named in the spec, never by a path. So no file may name a folder
 * beside the checkout, a path of a build machine, or the specification under its old outside name.
 */
const OUTSIDE: readonly { pattern: RegExp; what: string }[] = [
  { pattern: /\.\.\/shared\b/, what: 'a folder beside the checkout' },
  { pattern: /\/work\//, what: 'an absolute path of a build machine' },
  { pattern: /\bshared\/(?:seeds|synthea)\b/, what: 'the shared source folders' },
  { pattern: /\bPATHWAY\b(?!_)/, what: 'the specification by its outside name (cite docs/clinical-spec.md §N)' },
];

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (['.git', 'node_modules', 'dist', 'coverage'].includes(entry.name)) return [];
    const path = join(dir, entry.name);
    return entry.isDirectory() ? walk(path) : [relative(PROJECT_ROOT, path)];
  });
}

/** The files git tracks (outside a git checkout: every file but dependencies and build output). */
function trackedFiles(): string[] {
  try {
    const out = execFileSync('git', ['ls-files', '-z'], { cwd: PROJECT_ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    return out.split('\0').filter((f) => f !== '');
  } catch {
    return walk(PROJECT_ROOT);
  }
}

function outsideReferences(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(join(PROJECT_ROOT, file), 'utf8');
  } catch {
    return []; // listed by git but deleted in the work tree
  }
  if (text.includes('\0')) return []; // binary
  const found: string[] = [];
  text.split('\n').forEach((line, i) => {
    for (const { pattern, what } of OUTSIDE) {
      const m = pattern.exec(line);
      if (m) found.push(`${file}:${i + 1}: "${m[0]}" (${what})`);
    }
  });
  return found;
}

const files = trackedFiles();

test('the scan sees the repository', () => {
  expect(files).toEqual(expect.arrayContaining(['README.md', 'docs/clinical-spec.md', 'package.json']));
});

test('no tracked file refers to anything outside the repository', () => {
  expect(files.flatMap(outsideReferences)).toEqual([]);
});

test('the clinical specification has the sections that code and docs cite', () => {
  const spec = readFileSync(join(PROJECT_ROOT, 'docs', 'clinical-spec.md'), 'utf8');
  const sections = [...spec.matchAll(/^## (\d)\. (.+)$/gm)].map((m) => `${m[1] ?? ''}. ${m[2] ?? ''}`);
  expect(sections).toEqual([
    '1. What the pathway reads',
    '2. Terms',
    '3. Topics',
    '4. Terminology starting points',
    '5. Changes',
  ]);
});

test('every "docs/clinical-spec.md §N" cites a section that exists', () => {
  const cited = files.flatMap((file) => {
    if (file.endsWith('.json') && file.startsWith('fhir-fixtures/synthea/')) return [];
    let text: string;
    try {
      text = readFileSync(join(PROJECT_ROOT, file), 'utf8');
    } catch {
      return [];
    }
    return [...text.matchAll(/clinical-spec\.md (?:§|\\u00a7)(\d+)/g)].map((m) => ({ file, section: Number(m[1]) }));
  });
  expect(cited.filter((c) => c.section < 1 || c.section > 5)).toEqual([]);
});
