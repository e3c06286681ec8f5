import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { projectPath } from '../../src/data-files.js';

/**
 * `npm start` runs the compiled service (dist/src/server.js, built by `npm ci`, and before every jest run by tests/global-setup.ts). These tests start
 * it as a real process: it serves on the given port, warns loudly that authentication is off, stops cleanly on
 * SIGTERM, and refuses to start in production without trusted issuers. Start-up time is measured by
 * `npm run bench`, not here.
 */
const entry = projectPath('dist', 'src', 'server.js');

const children: { kill: (signal?: NodeJS.Signals) => boolean }[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
});

function start(env: Record<string, string>): {
  lines: () => string[];
  stderr: () => string;
  done: Promise<number | null>;
  kill: () => void;
} {
  const child = spawn(process.execPath, [entry], {
    env: { PATH: process.env['PATH'] ?? '', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  children.push(child);
  const done = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      resolve(code);
    }),
  );
  return {
    lines: () => out.split('\n').filter((l) => l.trim() !== ''),
    stderr: () => err,
    done,
    kill: () => child.kill('SIGTERM'),
  };
}

async function waitFor<T>(f: () => T | undefined, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('the compiled server exists (npm test builds it)', () => {
  expect(existsSync(entry)).toBe(true);
});

test('starts on PORT, answers, warns that authentication is off, and stops on SIGTERM', async () => {
  const p = start({ PORT: '0', FEEDBACK_STORE: 'memory', LOG_LEVEL: 'info' });
  const listening = await waitFor(() =>
    p
      .lines()
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l['msg'] === 'hip-pain-cds listening'),
  );
  const port = listening['port'] as number;
  const health = await fetch(`http://127.0.0.1:${port}/healthz`);
  expect(await health.json()).toEqual({
    status: 'ok',
    service: 'hip-pain-cds',
    version: expect.any(String),
    pathwayVersion: expect.any(String),
  });
  const discovery = (await (await fetch(`http://127.0.0.1:${port}/cds-services`)).json()) as { services: unknown[] };
  expect(discovery.services).toHaveLength(3);
  expect(p.lines().some((l) => l.includes('AUTHENTICATION IS OFF'))).toBe(true);
  p.kill();
  expect(await p.done).toBe(0);
}, 20_000);

test('refuses to start in production without trusted issuers', async () => {
  const p = start({ PORT: '0', NODE_ENV: 'production' });
  expect(await p.done).toBe(1);
  expect(p.stderr()).toContain('configuration error: production (NODE_ENV=production) needs TRUSTED_ISSUERS_FILE');
}, 20_000);

test('refuses a bad setting with a message naming it', async () => {
  const p = start({ PORT: 'eighty' });
  expect(await p.done).toBe(1);
  expect(p.stderr()).toContain('PORT must be a whole number, got "eighty"');
}, 20_000);
