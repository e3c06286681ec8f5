import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

/**
 * The project's data folders (hooks/, cards/, valuesets/, config/) sit next to package.json. They are found
 * from this file's location, so the compiled service (dist/src) and the TypeScript sources (src) read the same
 * files, whatever the working directory.
 */
function findProjectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'hooks'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('cannot find the project root (a folder with package.json and hooks/) above ' + fileURLToPath(import.meta.url));
}

export const PROJECT_ROOT = findProjectRoot();

export function projectPath(...parts: string[]): string {
  return resolve(PROJECT_ROOT, ...parts);
}

export function readJsonFile(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (err) {
    throw new Error(`cannot read ${path}: ${(err as Error).message}`);
  }
}

export function readYamlFile(path: string): unknown {
  try {
    return parseYaml(readFileSync(path, 'utf8')) as unknown;
  } catch (err) {
    throw new Error(`cannot read ${path}: ${(err as Error).message}`);
  }
}

/** Files of a data folder with one of the given endings, sorted by name; names starting with `_` are left out. */
export function dataFiles(folder: string, endings: readonly string[]): string[] {
  return readdirSync(folder)
    .filter((name) => !name.startsWith('_') && endings.some((e) => name.endsWith(e)))
    .sort()
    .map((name) => join(folder, name));
}
