import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Some tests run the compiled programs as real processes (`npm start` runs dist/src/server.js; the tools run
 * from dist/tools). Build them once before the suite, explicitly, so no test depends on a stale dist/ or on
 * the type-check having emitted files (`npm test` type-checks with --noEmit).
 */
export default function globalSetup(): void {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
}
