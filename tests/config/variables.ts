import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectPath } from '../../src/data-files.js';

/**
 * The environment variables the service reads, found in its source the way they are written there: a reader
 * of src/config/env.ts called with the environment and a name (`int(env, 'PORT', 3000)`), `env['NAME']`, or
 * `process.env['NAME']` anywhere in src/. Read from the code, not from a list, so a variable added in the
 * existing style is found without anyone remembering to register it.
 */
const READER_CALL = /\b\w+\(\s*env,\s*'([A-Z][A-Z0-9_]*)'/g;
const ENV_INDEX = /\benv\[\s*'([A-Z][A-Z0-9_]*)'\s*\]/g;
const PROCESS_ENV = /\bprocess\.env(?:\[\s*'([A-Z][A-Z0-9_]*)'\s*\]|\.([A-Z][A-Z0-9_]*))/g;

/** Read by the service but not a setting of it: src/env-guard.ts only switches fhir-kit-client's debug output off. */
const NOT_SETTINGS = new Set(['DEBUG']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

export function serviceConfigVariables(): string[] {
  const names = new Set<string>();
  for (const file of sourceFiles(projectPath('src'))) {
    const text = readFileSync(file, 'utf8');
    const patterns = file.includes(join('src', 'config')) ? [READER_CALL, ENV_INDEX, PROCESS_ENV] : [PROCESS_ENV];
    for (const pattern of patterns) {
      for (const m of text.matchAll(pattern)) {
        const name = m[1] ?? m[2];
        if (name !== undefined && !NOT_SETTINGS.has(name)) names.add(name);
      }
    }
  }
  return [...names].sort();
}
