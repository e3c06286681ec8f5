import { readdirSync, readFileSync } from 'node:fs';
import { ConfigError } from '../../src/config/env.js';
import { loadServiceConfig } from '../../src/config/service-config.js';
import { projectPath } from '../../src/data-files.js';
import { serviceConfigVariables } from './variables.js';

/**
 * One description of the configuration: the variables src/config/service-config.ts reads (found in its code,
 * tests/config/variables.ts) are the truth, and the README's configuration table describes them. This test
 * keeps the two, and every other table of variables and defaults in the docs, in agreement:
 * - every variable the code reads has a row in the README table, and every variable in any table is read;
 * - a default written as a value (`3000`, `5mb`, `false`) is the real default: setting the variable to it
 *   changes nothing in the loaded configuration. Defaults in words ("on with issuers or in production") are
 *   left to the reader.
 */

interface Row {
  file: string;
  line: number;
  names: string[];
  defaults: string[];
}

const VARIABLE = /^[A-Z][A-Z0-9_]*$/;

function cells(line: string): string[] {
  return line
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split('|')
    .map((c) => c.trim());
}

/** Rows of every markdown table whose second column is headed "default" and whose first names variables. */
function variableTables(file: string): Row[] {
  const lines = readFileSync(projectPath(file), 'utf8').split('\n');
  const rows: Row[] = [];
  let inTable = false;
  lines.forEach((text, i) => {
    if (!text.trim().startsWith('|')) {
      inTable = false;
      return;
    }
    const [first = '', second = ''] = cells(text);
    if (second.toLowerCase() === 'default') {
      inTable = true;
      return;
    }
    if (!inTable || /^-+$/.test(first.replace(/[:\s]/g, ''))) return;
    const names = [...first.matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? '').filter((n) => VARIABLE.test(n));
    if (names.length > 0) rows.push({ file, line: i + 1, names, defaults: second.split(' / ').map((d) => d.trim()) });
  });
  return rows;
}

/** A default written as a value: a leading `literal`, or a bare number with its unit (`600/min` is 600). */
function literalDefault(text: string): string | undefined {
  const quoted = /^`([^`]*)`/.exec(text);
  if (quoted) return quoted[1];
  const bare = /^(\d+(?:\.\d+)?(?:b|kb|mb|gb)?)\b/i.exec(text);
  return bare?.[1];
}

const docs = ['README.md', 'SECURITY.md', ...readdirSync(projectPath('docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const rows = docs.flatMap(variableTables);
const readme = rows.filter((r) => r.file === 'README.md');
const read = serviceConfigVariables();

test('the README has a configuration table', () => {
  expect(readme.length).toBeGreaterThan(10);
});

test('every variable the service reads is in the README configuration table', () => {
  const documented = new Set(readme.flatMap((r) => r.names));
  expect(read.filter((name) => !documented.has(name))).toEqual([]);
});

test('every variable in a table of the docs is one the service reads', () => {
  const known = new Set(read);
  const unknown = rows.flatMap((r) => r.names.filter((n) => !known.has(n)).map((n) => `${r.file}:${r.line} ${n}`));
  expect(unknown).toEqual([]);
});

test('each row gives one default per variable (or one for all)', () => {
  const uneven = rows
    .filter((r) => r.defaults.length !== r.names.length && r.defaults.length !== 1)
    .map((r) => `${r.file}:${r.line} ${r.names.join(' / ')}: ${r.defaults.join(' / ')}`);
  expect(uneven).toEqual([]);
});

test('a variable set to its documented default loads the same configuration as when it is unset', () => {
  const baseline = loadServiceConfig({});
  const wrong: string[] = [];
  for (const row of rows) {
    row.names.forEach((name, i) => {
      const text = row.defaults.length === row.names.length ? row.defaults[i] : row.defaults[0];
      const value = text === undefined ? undefined : literalDefault(text);
      if (value === undefined) return;
      let config: unknown;
      try {
        config = loadServiceConfig({ [name]: value });
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        config = err.message;
      }
      try {
        expect(config).toEqual(baseline);
      } catch {
        wrong.push(`${row.file}:${row.line} ${name} = ${value} is not its default`);
      }
    });
  }
  expect(wrong).toEqual([]);
});
