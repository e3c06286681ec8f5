import { readFileSync } from 'node:fs';
import { projectPath } from '../../src/data-files.js';

/**
 * The service runs with the same Node options however it is started: `npm start` and the Docker image's CMD
 * (the heap sizing of docs/performance.md: `--max-semi-space-size=8`, half V8's default, keeps peak memory lower
 * at the same CPU; `--heap-growing-percent=250` lets the old generation grow to 3.5x, not 4x, what survives a full
 * collection). The benchmark reads them from package.json, so what is measured is what runs.
 */
const nodeOptions = (command: readonly string[]): string[] => {
  const script = command.findIndex((part) => part.endsWith('server.js'));
  expect(command[0]).toBe('node');
  expect(script).toBeGreaterThan(0);
  return command.slice(1, script);
};

test('npm start and the Dockerfile CMD run the service with the same Node options', () => {
  const pkg = JSON.parse(readFileSync(projectPath('package.json'), 'utf8')) as { scripts: Record<string, string> };
  const start = nodeOptions((pkg.scripts['start'] ?? '').split(/\s+/));
  const cmds = [...readFileSync(projectPath('Dockerfile'), 'utf8').matchAll(/^CMD (\[.*\])$/gm)].map(
    (m) => JSON.parse(m[1] ?? '[]') as string[],
  );
  const service = cmds.filter((c) => c.some((part) => part.endsWith('server.js')));
  expect(service).toHaveLength(1);
  const docker = nodeOptions(service[0] ?? []);
  expect(docker).toEqual(start);
  expect(start).toContain('--max-semi-space-size=8');
  expect(start).toContain('--heap-growing-percent=250');
});
