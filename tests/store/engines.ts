import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createLogger } from '../../src/log.js';
import { Store, type StoreOptions } from '../../src/store/store.js';

/**
 * The two engines every storage test runs on: SQLite (a fresh file) and PostgreSQL (a fresh database in the
 * cluster named by TEST_DATABASE_URL; .ci/run starts a private one). Without TEST_DATABASE_URL the PostgreSQL
 * half is skipped, loudly.
 */
export const PG_URL = process.env['TEST_DATABASE_URL'];

if (PG_URL === undefined)
  process.stderr.write(
    '\n!!! TEST_DATABASE_URL is not set: the PostgreSQL half of the storage tests is SKIPPED. .ci/run starts a private cluster; by hand: source .ci/postgres.sh && pg_ci_start !!!\n\n',
  );

export interface EngineUnderTest {
  name: 'sqlite' | 'postgres';
  /** A fresh, empty database: its DATABASE_URL (undefined for SQLite) and SQLite file. */
  fresh(): Promise<{ url: string | undefined; sqliteFile: string; env: Record<string, string>; drop(): Promise<void> }>;
}

const sqlite: EngineUnderTest = {
  name: 'sqlite',
  fresh: () => {
    const dir = mkdtempSync(join(tmpdir(), 'cds-store-'));
    const sqliteFile = join(dir, 'db', 'test.sqlite');
    return Promise.resolve({
      url: undefined,
      sqliteFile,
      env: { SQLITE_FILE: sqliteFile },
      drop: () => {
        rmSync(dir, { recursive: true, force: true });
        return Promise.resolve();
      },
    });
  },
};

let counter = 0;
const postgres: EngineUnderTest = {
  name: 'postgres',
  fresh: async () => {
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    const name = `t_${process.pid}_${Date.now().toString(36)}_${counter++}`;
    await admin.query(`create database ${name}`);
    await admin.end();
    const url = new URL(PG_URL ?? '');
    url.pathname = `/${name}`;
    return {
      url: url.href,
      sqliteFile: ':memory:',
      env: { DATABASE_URL: url.href },
      drop: async () => {
        const c = new pg.Client({ connectionString: PG_URL });
        await c.connect();
        await c.query(`drop database if exists ${name} with (force)`);
        await c.end();
      },
    };
  },
};

export const ENGINES: EngineUnderTest[] = PG_URL !== undefined ? [sqlite, postgres] : [sqlite];

export async function openTestStore(
  db: { url: string | undefined; sqliteFile: string },
  options: Partial<StoreOptions> = {},
): Promise<Store> {
  return Store.open({
    url: db.url,
    sqliteFile: db.sqliteFile,
    poolSize: 5,
    feedbackRetentionDays: 365,
    issuedCardsRetentionDays: 30,
    log: createLogger({ level: 'silent' }),
    sweepEveryMs: 0,
    ...options,
  });
}

/** A stored feedback row (tools/fixtures/feedback-row.ts). */
export { feedbackRow } from '../../tools/fixtures/feedback-row.js';
