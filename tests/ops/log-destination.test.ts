import { jest } from '@jest/globals';
import fs from 'node:fs';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { LOG_WRITE_BYTES, logDestination, type LogStream } from '../../src/log.js';

/**
 * The log's destination (src/log.ts): under load the lines logged while one write is under way must go out in the
 * next writes, LOG_WRITE_BYTES at a time (pino's default of 16 KB a write fell behind and the waiting lines grew
 * without bound), none lost; and past the backlog bound lines are dropped and counted, not queued.
 */
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hip-pain-log-'));
});
afterEach(() => {
  jest.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

function ended(stream: LogStream): Promise<void> {
  return new Promise((resolve) => {
    stream.once('close', () => {
      resolve();
    });
    stream.end();
  });
}

const line = (i: number): Record<string, unknown> => ({ i, path: '/cds-services/hip-pain-patient-view', pad: 'x'.repeat(300) });

test('lines logged in one turn of the event loop go out in writes of up to LOG_WRITE_BYTES, every line written', async () => {
  const file = join(dir, 'out.log');
  const spy = jest.spyOn(fs, 'write'); // calls through
  const stream = logDestination({ dest: file });
  const log = pino({ base: null }, stream);
  const n = 2000;
  for (let i = 0; i < n; i++) log.info(line(i));
  await ended(stream);

  const writes = spy.mock.calls.map((call) => {
    const data: unknown = call[1];
    if (typeof data === 'string') return Buffer.byteLength(data);
    return ArrayBuffer.isView(data) ? data.byteLength : 0;
  });
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  expect(lines).toHaveLength(n);
  expect(lines.map((l) => (JSON.parse(l) as { i: number }).i)).toEqual([...Array(n).keys()]);
  const bytes = writes.reduce((a, b) => a + b, 0);
  expect(bytes).toBeGreaterThan(600_000);
  expect(Math.max(...writes)).toBeLessThanOrEqual(LOG_WRITE_BYTES);
  // One write per 64 KB or so: pino's default (16 KB a write) would have needed four times as many turns.
  expect(writes.length).toBeLessThanOrEqual(Math.ceil(bytes / (64 * 1024)) + 2);
});

test('past the backlog bound a line is dropped and counted, not queued', async () => {
  const file = join(dir, 'out.log');
  let dropped = 0;
  const stream = logDestination({
    dest: file,
    maxLength: 10_000,
    onDrop: () => {
      dropped++;
    },
  });
  const log = pino({ base: null }, stream);
  const n = 100;
  for (let i = 0; i < n; i++) log.info(line(i));
  await ended(stream);

  const written = readFileSync(file, 'utf8').trimEnd().split('\n').length;
  expect(dropped).toBeGreaterThan(50);
  expect(written).toBeGreaterThan(0);
  expect(written + dropped).toBe(n);
});
