import { inspect } from 'node:util';
import { type Kysely, type Migration, Migrator, sql } from 'kysely';
import type { Engine } from './db.js';

/**
 * Versioned schema migrations, run at start-up by every instance (src/store/store.ts). Kysely's Migrator keeps
 * what ran in `kysely_migration`, and runs pending ones under a lock so that instances starting at once migrate
 * exactly once: on PostgreSQL under a session advisory lock (Kysely's, pg_advisory_lock) with each migration in
 * a transaction; on SQLite all of them in one transaction that holds the database write lock from its start
 * (BEGIN IMMEDIATE: another instance waits, up to the busy time-out, then finds nothing to do). A failed
 * migration leaves nothing behind on either engine. A migration is never edited once released: add the next one.
 */
const migrations: Record<string, Migration> = {
  '0001-initial': {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('feedback')
        .addColumn('key', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('service_id', 'varchar(128)', (c) => c.notNull())
        .addColumn('card', 'varchar(256)', (c) => c.notNull())
        .addColumn('topic', 'varchar(128)', (c) => c.notNull())
        .addColumn('outcome', 'varchar(16)', (c) => c.notNull())
        .addColumn('accepted_suggestions', 'text')
        .addColumn('override_system', 'text')
        .addColumn('override_code', 'text')
        .addColumn('override_display', 'text')
        .addColumn('user_comment', 'text')
        .addColumn('outcome_timestamp', 'varchar(64)', (c) => c.notNull())
        .addColumn('received_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('feedback_received_at').on('feedback').column('received_at').execute();
      await db.schema.createIndex('feedback_topic').on('feedback').columns(['topic', 'outcome']).execute();

      await db.schema
        .createTable('issued_card')
        .addColumn('uuid', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('service_id', 'varchar(128)', (c) => c.notNull())
        .addColumn('topic', 'varchar(128)', (c) => c.notNull())
        .addColumn('patient_hash', 'varchar(64)', (c) => c.notNull())
        .addColumn('issued_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('issued_card_issued_at').on('issued_card').column('issued_at').execute();

      await db.schema
        .createTable('quiet')
        .addColumn('patient_hash', 'varchar(64)', (c) => c.notNull())
        .addColumn('topic', 'varchar(128)', (c) => c.notNull())
        .addColumn('until_ms', 'bigint', (c) => c.notNull())
        .addColumn('reason', 'varchar(256)', (c) => c.notNull())
        .addPrimaryKeyConstraint('quiet_pk', ['patient_hash', 'topic'])
        .execute();
      await db.schema.createIndex('quiet_until').on('quiet').column('until_ms').execute();

      await db.schema
        .createTable('replay')
        .addColumn('id', 'varchar(600)', (c) => c.primaryKey())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('replay_expires_at').on('replay').column('expires_at').execute();

      await db.schema
        .createTable('rate_limit')
        .addColumn('key', 'varchar(300)', (c) => c.primaryKey())
        .addColumn('window_start', 'bigint', (c) => c.notNull())
        .addColumn('count', 'integer', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('counter')
        .addColumn('name', 'varchar(200)', (c) => c.primaryKey())
        .addColumn('value', 'bigint', (c) => c.notNull())
        .execute();
    },
  },
};

/** The migrations this version knows, in order. */
export const MIGRATION_NAMES = Object.keys(migrations).sort();

/** What a failed migration threw: an Error's message, a thrown string, or anything else as node prints it. */
function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  return inspect(error);
}

/**
 * Runs every pending migration (under the lock); throws when one fails. Returns the names that ran here.
 * `set` replaces the migrations (tests).
 */
export async function migrate(
  db: Kysely<unknown>,
  engine: Engine,
  set: Record<string, Migration> = migrations,
): Promise<string[]> {
  const provider = { getMigrations: () => Promise.resolve(set) };
  const { error, results } =
    engine === 'postgres'
      ? await new Migrator({ db, provider }).migrateToLatest()
      : // SQLite: the one connection, in one IMMEDIATE transaction (Kysely's SQLite adapter takes no lock).
        await db.connection().execute(async (conn) => {
          await sql`begin immediate`.execute(conn);
          try {
            const outcome = await new Migrator({ db: conn, provider }).migrateToLatest();
            await sql.raw(outcome.error === undefined ? 'commit' : 'rollback').execute(conn);
            return outcome;
          } catch (err) {
            await sql`rollback`.execute(conn);
            throw err;
          }
        });
  if (error !== undefined) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`database migration ${failed} failed: ${errorText(error)}`);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
