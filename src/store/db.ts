import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { CompiledQuery, Kysely, PostgresDialect, SqliteDialect, type SqliteDatabase, type SqliteStatement } from 'kysely';
import pg from 'pg';
import type { Tables } from './schema.js';

export type Engine = 'sqlite' | 'postgres';

export interface DatabaseOptions {
  /** `postgres://...` (or `postgresql://`): PostgreSQL; undefined: SQLite at `sqliteFile` (`:memory:` for none). */
  url: string | undefined;
  sqliteFile: string;
  /** Connections per process (PostgreSQL). */
  poolSize: number;
  /** The SQLite driver: `auto` (node:sqlite where Node has it, else better-sqlite3) or one of them. */
  sqliteDriver?: SqliteDriverChoice;
}

export type SqliteDriverChoice = 'auto' | 'node:sqlite' | 'better-sqlite3';

export interface OpenDatabase {
  db: Kysely<Tables>;
  engine: Engine;
  /** Which SQLite driver is in use (`node:sqlite` or `better-sqlite3`), or `pg`. */
  driver: string;
  /**
   * SQLite: the connection Kysely uses, for the two statements the hook path runs on it at once (Store.quietTopics
   * and Store.claimJti); its statements stay prepared (keepStatementsPrepared).
   */
  sqlite?: SqliteDatabase;
}

/** How long a SQLite writer waits for another process's write lock before failing (ms). */
const SQLITE_BUSY_TIMEOUT_MS = 10_000;

/** The small part of node:sqlite (Node 22.13 and later) that Kysely's SQLite driver needs. */
interface NodeSqliteStatement {
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): { changes: number | bigint; lastInsertRowid: number | bigint };
  iterate(...params: unknown[]): IterableIterator<unknown>;
  columns(): unknown[];
}
interface NodeSqliteModule {
  DatabaseSync: new (path: string) => { prepare(sql: string): NodeSqliteStatement; exec(sql: string): void; close(): void };
}

/** Statements kept prepared per connection, by SQL text (the hot statements are a handful; the rest rotate out). */
const PREPARED_STATEMENTS = 200;

/**
 * Keeps each SQL text's statement prepared: SQLite compiles a statement once, then each call only binds and steps
 * it (preparing the quiet-period read was the largest cost of the hook call's database work). Safe because
 * Kysely's SQLite driver runs one statement at a time on its one connection, and a statement is reset when it is
 * run again. Beyond `max` texts the least recently used one is let go (the driver finalises it when collected).
 */
export function keepStatementsPrepared(database: SqliteDatabase, max = PREPARED_STATEMENTS): SqliteDatabase {
  const prepared = new Map<string, SqliteStatement>();
  return {
    close: () => {
      prepared.clear();
      database.close();
    },
    prepare: (text: string): SqliteStatement => {
      let stmt = prepared.get(text);
      if (stmt === undefined) {
        stmt = database.prepare(text);
        if (prepared.size >= max) {
          const oldest = prepared.keys().next();
          if (oldest.done !== true) prepared.delete(oldest.value);
        }
      } else prepared.delete(text); // moved to the end: the least recently used text goes first
      prepared.set(text, stmt);
      return stmt;
    },
  };
}

function isNodeSqlite(m: object | undefined): m is NodeSqliteModule {
  return m !== undefined && 'DatabaseSync' in m && typeof m.DatabaseSync === 'function';
}

/**
 * The SQLite driver: node:sqlite when this Node has it (22.13+, and Node 24 which CI also runs: nothing to
 * compile), else better-sqlite3 (an optional dependency, compiled from source at `npm ci` for the Node that
 * installs it). A module compiled for another Node fails to load, so node:sqlite is tried first.
 */
function openSqlite(file: string, choice: SqliteDriverChoice): { database: SqliteDatabase; driver: string } {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const nodeSqlite = typeof process.getBuiltinModule === 'function' ? process.getBuiltinModule('node:sqlite') : undefined;
  if (choice === 'node:sqlite' && !isNodeSqlite(nodeSqlite))
    throw new Error(`SQLITE_DRIVER=node:sqlite needs Node 22.13 or later (this is ${process.version})`);
  if (isNodeSqlite(nodeSqlite) && choice !== 'better-sqlite3') {
    const raw = new nodeSqlite.DatabaseSync(file);
    const database: SqliteDatabase = {
      close: () => {
        raw.close();
      },
      prepare: (text: string): SqliteStatement => {
        const stmt = raw.prepare(text);
        return {
          reader: stmt.columns().length > 0,
          all: (p) => stmt.all(...p),
          run: (p) => stmt.run(...p),
          iterate: (p) => stmt.iterate(...p),
        };
      },
    };
    return { database, driver: 'node:sqlite' };
  }
  const require = createRequire(import.meta.url);
  let BetterSqlite: typeof import('better-sqlite3');
  try {
    BetterSqlite = require('better-sqlite3') as typeof import('better-sqlite3');
  } catch (err) {
    throw new Error(
      `SQLite needs node:sqlite (Node 22.13 or later) or the better-sqlite3 package built for this Node (npm rebuild better-sqlite3): ${(err as Error).message}`,
    );
  }
  return { database: new BetterSqlite(file), driver: 'better-sqlite3' };
}

export function isPostgresUrl(url: string | undefined): url is string {
  return url !== undefined && /^postgres(ql)?:\/\//i.test(url);
}

/** Opens (and for SQLite, creates) the database; the schema is brought up to date by `migrate` (migrations.ts). */
export function openDatabase(options: DatabaseOptions): OpenDatabase {
  if (isPostgresUrl(options.url)) {
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize,
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: 5_000,
      // int8 (counts, millisecond times) as numbers: every value stored fits in 2^53.
      types: {
        getTypeParser: (oid, format) => {
          if (oid === pg.types.builtins.INT8) return (v: string) => Number(v);
          return pg.types.getTypeParser(oid, format ?? 'text') as unknown;
        },
      },
    });
    // An idle connection that breaks (database restart) must not crash the process; the next query reconnects.
    pool.on('error', () => undefined);
    return { db: new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) }), engine: 'postgres', driver: 'pg' };
  }
  const { database, driver } = openSqlite(options.sqliteFile, options.sqliteDriver ?? 'auto');
  const sqlite = keepStatementsPrepared(database);
  const dialect = new SqliteDialect({
    database: sqlite,
    onCreateConnection: async (connection) => {
      // WAL: readers never block the writer, a committed transaction survives a crash of the process (kill -9);
      // synchronous=NORMAL syncs at checkpoints (an OS crash or power loss may lose the last transactions).
      for (const pragma of [
        `pragma busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`,
        'pragma journal_mode = wal',
        'pragma synchronous = normal',
        'pragma foreign_keys = on',
      ])
        await connection.executeQuery(CompiledQuery.raw(pragma));
    },
  });
  return { db: new Kysely<Tables>({ dialect }), engine: 'sqlite', driver, sqlite };
}
