import type pg from 'pg';
import { LifecycleError } from '../../lifecycle/errors';
import { OUTBOX_COLUMNS, TURN_COLUMNS, type ColumnSpec } from '../../lifecycle/migrations/columns';
import { errorSignatureSql } from '../../lifecycle/signature';
import { SQL_NOW } from './context';
import {
  OUTBOX_DEAD_SQL,
  OUTBOX_ERROR_TEXT,
  OUTBOX_FAILED_AT,
  OUTBOX_FAILURE_SQL,
  TURN_DEAD_SQL,
  TURN_ERROR_TEXT,
  TURN_FAILED_AT,
  TURN_FAILURE_SQL,
} from '../../lifecycle/triage-rules';
import { OUTBOX_SEARCH_TEXT, TURN_SEARCH_TEXT } from './search';
import { CHANNEL_STATS_V4 } from './channel-stats';

// The SPEC's tables in PostgreSQL (times BIGINT ms), versioned in lifecycle_schema and migrated
// forward in one transaction under an advisory lock, so nodes starting together migrate once.
// Tables a gateway created are adopted: missing columns are added, nothing is dropped.

/** The PostgreSQL schema's own version (its numbering is independent of SQLite's user_version). */
export const PG_SCHEMA_VERSION = 4;

/** A connection notifies at most once per this many ms (see lc_notify). */
export const NOTIFY_EVERY_MS = 200;

/** Counter rows per (entity, status): each connection adds to its own, so nodes never queue on one row. */
export const COUNTER_SHARDS = 16;

const MIGRATION_LOCK = "hashtext('lifecycle-desk:migrate')";

const pgType = (def: string): string => def.replace(/\bINTEGER\b/g, 'BIGINT');

function table(name: string, columns: ColumnSpec[]): string {
  const create = `CREATE TABLE IF NOT EXISTS ${name} (${columns.map((c) => `${c.name} ${pgType(c.create)}`).join(', ')});`;
  const adopt = columns
    .filter((c) => !/PRIMARY KEY/.test(c.create))
    .map((c) => `ALTER TABLE ${name} ADD COLUMN IF NOT EXISTS ${c.name} ${pgType(c.adopt)};`)
    .join('\n');
  return `${create}\n${adopt}`;
}

const SHARD = `(pg_backend_pid() % ${COUNTER_SHARDS})`;

/** Trigger functions: counts and per-minute counters for every writer; timeline entries for writers other than our core. */
function triggers(kind: 'turn' | 'outbox', tableName: string): string {
  const subject = kind === 'turn' ? 'NEW.id' : 'coalesce(NEW.turn_id, NEW.id)';
  const insertMinute =
    kind === 'turn' ? 'NEW.accepted_at / 60000' : 'coalesce(NEW.completed_at, NEW.queued_at) / 60000';
  const moveMinute =
    kind === 'turn'
      ? 'NEW.updated_at / 60000'
      : 'coalesce(NEW.completed_at, NEW.last_attempt_at, NEW.queued_at) / 60000';
  const reason =
    kind === 'turn'
      ? "CASE WHEN NEW.status <> 'accepted' AND NEW.status <> 'running' THEN NEW.terminal_reason END"
      : "CASE WHEN NEW.status <> 'queued' AND NEW.status <> 'delivered' THEN coalesce(NEW.terminal_reason, NEW.last_error) END";
  const count = (status: string, delta: number): string =>
    `INSERT INTO lifecycle_counts (entity, status, shard, n) VALUES ('${kind}', ${status}, ${SHARD}, ${delta})
       ON CONFLICT (entity, status, shard) DO UPDATE SET n = lifecycle_counts.n + ${delta};`;
  const minute = (at: string, status: string, column: 'entered' | 'exited'): string =>
    `INSERT INTO lifecycle_minutes (entity, minute, status, shard, ${column}) VALUES ('${kind}', ${at}, ${status}, ${SHARD}, 1)
       ON CONFLICT (entity, minute, status, shard) DO UPDATE SET ${column} = lifecycle_minutes.${column} + 1;`;
  const history = (from: string): string =>
    `IF coalesce(current_setting('lifecycle.core', true), '') <> 'on' THEN
       INSERT INTO message_history (kind, entity_id, subject_id, from_status, to_status, actor, reason, actor_name, at)
       VALUES ('${kind}', NEW.id, ${subject}, ${from}, NEW.status, 'gateway', ${reason}, NULL, ${SQL_NOW});
     END IF;`;
  return `
    CREATE OR REPLACE FUNCTION lc_${kind}_changed() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        ${count('NEW.status', 1)}
        ${minute(insertMinute, 'NEW.status', 'entered')}
        ${history('NULL')}
        RETURN NEW;
      ELSIF TG_OP = 'UPDATE' THEN
        IF OLD.status IS DISTINCT FROM NEW.status THEN
          ${count('OLD.status', -1)}
          ${count('NEW.status', 1)}
          ${kind === 'turn' ? minute(moveMinute, 'OLD.status', 'exited') : ''}
          ${minute(moveMinute, 'NEW.status', 'entered')}
          ${history('OLD.status')}
        END IF;
        RETURN NEW;
      ELSE
        ${count('OLD.status', -1)}
        RETURN OLD;
      END IF;
    END $fn$;
    DROP TRIGGER IF EXISTS lc_${kind}_changed ON ${tableName};
    CREATE TRIGGER lc_${kind}_changed AFTER INSERT OR DELETE OR UPDATE OF status ON ${tableName}
      FOR EACH ROW EXECUTE FUNCTION lc_${kind}_changed();
    DROP TRIGGER IF EXISTS lc_${kind}_notify ON ${tableName};
    CREATE TRIGGER lc_${kind}_notify AFTER INSERT OR UPDATE OR DELETE ON ${tableName}
      FOR EACH STATEMENT EXECUTE FUNCTION lc_notify();`;
}

/** Version 1: the SPEC's tables and indexes, our timeline, counters, heartbeats and change notifications. */
const V1 = `
  ${table('message_turns', TURN_COLUMNS)}
  ${table('message_outbox', OUTBOX_COLUMNS)}
  CREATE TABLE IF NOT EXISTS message_history (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    kind TEXT NOT NULL, entity_id TEXT, subject_id TEXT, from_status TEXT, to_status TEXT,
    actor TEXT NOT NULL, reason TEXT, actor_name TEXT, at BIGINT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS lifecycle_counts (
    entity TEXT NOT NULL, status TEXT NOT NULL, shard SMALLINT NOT NULL, n BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (entity, status, shard)
  );
  CREATE TABLE IF NOT EXISTS lifecycle_minutes (
    entity TEXT NOT NULL, minute BIGINT NOT NULL, status TEXT NOT NULL, shard SMALLINT NOT NULL,
    entered BIGINT NOT NULL DEFAULT 0, exited BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (entity, minute, status, shard)
  );
  CREATE TABLE IF NOT EXISTS lifecycle_workers (
    owner TEXT PRIMARY KEY, host TEXT NOT NULL, pid BIGINT NOT NULL, started_at BIGINT NOT NULL,
    last_pass_at BIGINT, next_pass_at BIGINT, stopped_at BIGINT, seen_at BIGINT NOT NULL,
    handlers TEXT NOT NULL DEFAULT ''
  );
  CREATE INDEX IF NOT EXISTS ix_workers_seen ON lifecycle_workers(seen_at);
  CREATE UNIQUE INDEX IF NOT EXISTS ux_turns_dedupe ON message_turns(dedupe_key) WHERE dedupe_key IS NOT NULL;
  CREATE INDEX IF NOT EXISTS ix_turns_status_next ON message_turns(status, next_attempt_at, updated_at);
  CREATE INDEX IF NOT EXISTS ix_turns_session_status ON message_turns(session_key, status, accepted_at);
  CREATE UNIQUE INDEX IF NOT EXISTS ux_outbox_idempotency ON message_outbox(idempotency_key) WHERE idempotency_key IS NOT NULL;
  CREATE INDEX IF NOT EXISTS ix_outbox_turn_status ON message_outbox(turn_id, status) WHERE turn_id IS NOT NULL;
  CREATE INDEX IF NOT EXISTS ix_outbox_status_next ON message_outbox(status, next_attempt_at, queued_at);
  CREATE INDEX IF NOT EXISTS ix_turns_status_accepted ON message_turns(status, accepted_at);
  CREATE INDEX IF NOT EXISTS ix_turns_accepted ON message_turns(accepted_at, status);
  CREATE INDEX IF NOT EXISTS ix_turns_completed ON message_turns(completed_at, status) WHERE completed_at IS NOT NULL;
  CREATE INDEX IF NOT EXISTS ix_turns_channel_accepted ON message_turns(channel, accepted_at);
  CREATE INDEX IF NOT EXISTS ix_turns_session_accepted ON message_turns(session_key text_pattern_ops, accepted_at);
  CREATE INDEX IF NOT EXISTS ix_outbox_status_queued ON message_outbox(status, queued_at);
  CREATE INDEX IF NOT EXISTS ix_outbox_kind_status ON message_outbox(dispatch_kind, status, queued_at);
  CREATE INDEX IF NOT EXISTS ix_outbox_queued ON message_outbox(queued_at);
  CREATE INDEX IF NOT EXISTS ix_outbox_channel_queued ON message_outbox(channel, queued_at);
  CREATE INDEX IF NOT EXISTS ix_outbox_completed ON message_outbox(completed_at, status) WHERE completed_at IS NOT NULL;
  CREATE INDEX IF NOT EXISTS ix_history_subject ON message_history(subject_id, id);
  CREATE INDEX IF NOT EXISTS ix_history_operator ON message_history(at) WHERE actor = 'operator';
  CREATE OR REPLACE FUNCTION lc_notify() RETURNS trigger LANGUAGE plpgsql AS $fn$
  DECLARE
    last_at TEXT := current_setting('lifecycle.notified_at', true);
    now_ms BIGINT := ${SQL_NOW};
  BEGIN
    -- A transaction that notified takes a server-wide lock at commit, so notifying in every
    -- write would make every node's commits queue on it: each connection notifies at most once
    -- per ${NOTIFY_EVERY_MS} ms (a session setting, which a rollback undoes), and a watcher refetches
    -- once more a moment after each notification (watch.ts) to see what was not announced.
    -- The payload names our core's process, so it can skip its own writes.
    IF last_at IS NULL OR last_at = '' OR now_ms - last_at::bigint >= ${NOTIFY_EVERY_MS} THEN
      PERFORM set_config('lifecycle.notified_at', now_ms::text, false);
      PERFORM pg_notify('lifecycle_changes', TG_TABLE_NAME || ' ' || coalesce(current_setting('lifecycle.owner', true), ''));
    END IF;
    RETURN NULL;
  END $fn$;
  ${triggers('turn', 'message_turns')}
  ${triggers('outbox', 'message_outbox')}
  -- Adopted tables: count what is there once.
  DELETE FROM lifecycle_counts;
  INSERT INTO lifecycle_counts (entity, status, shard, n) SELECT 'turn', status, 0, count(*) FROM message_turns GROUP BY status;
  INSERT INTO lifecycle_counts (entity, status, shard, n) SELECT 'outbox', status, 0, count(*) FROM message_outbox GROUP BY status;
`;

/** The kind filter alone pages from an ordered walk, as SQLite's v4 (main/lifecycle/migrations/v4.ts). */
const V2 = `CREATE INDEX IF NOT EXISTS ix_outbox_kind_queued ON message_outbox(dispatch_kind, queued_at);`;

/** The audit's entries: operator actions, a bulk job's per-row entries left out (its one summary has no job id). */
export const AUDIT_ENTRY_SQL = "actor = 'operator' AND job_id IS NULL";

/**
 * Version 3 (issue 11, triage): links of resends and replays as new, the operator's action and
 * reason on the timeline, the error signature as a stored generated column (so a gateway's plain
 * INSERT or UPDATE gets it too, and a group's rows are found by index), and the indexes of the
 * error groups, dead letters, the audit's filters and (search.ts) the trigram search.
 */
const V3 = `
  ALTER TABLE message_turns ADD COLUMN IF NOT EXISTS replay_of TEXT;
  ALTER TABLE message_outbox ADD COLUMN IF NOT EXISTS resend_of TEXT;
  ALTER TABLE message_history ADD COLUMN IF NOT EXISTS action TEXT;
  ALTER TABLE message_history ADD COLUMN IF NOT EXISTS note TEXT;
  ALTER TABLE message_history ADD COLUMN IF NOT EXISTS job_id TEXT;
  ALTER TABLE message_turns ADD COLUMN IF NOT EXISTS error_signature TEXT
    GENERATED ALWAYS AS (${errorSignatureSql(TURN_ERROR_TEXT, 'pg')}) STORED;
  ALTER TABLE message_outbox ADD COLUMN IF NOT EXISTS error_signature TEXT
    GENERATED ALWAYS AS (${errorSignatureSql(OUTBOX_ERROR_TEXT, 'pg')}) STORED;
  CREATE INDEX IF NOT EXISTS ix_turns_replay_of ON message_turns(replay_of) WHERE replay_of IS NOT NULL;
  CREATE INDEX IF NOT EXISTS ix_outbox_resend_of ON message_outbox(resend_of) WHERE resend_of IS NOT NULL;
  CREATE INDEX IF NOT EXISTS ix_turns_failures ON message_turns((${TURN_FAILED_AT})) WHERE ${TURN_FAILURE_SQL};
  CREATE INDEX IF NOT EXISTS ix_outbox_failures ON message_outbox((${OUTBOX_FAILED_AT})) WHERE ${OUTBOX_FAILURE_SQL};
  CREATE INDEX IF NOT EXISTS ix_turns_signature ON message_turns(error_signature, accepted_at) WHERE ${TURN_FAILURE_SQL};
  CREATE INDEX IF NOT EXISTS ix_outbox_signature ON message_outbox(error_signature, queued_at) WHERE ${OUTBOX_FAILURE_SQL};
  CREATE INDEX IF NOT EXISTS ix_turns_dead ON message_turns(status, accepted_at, completed_at) WHERE ${TURN_DEAD_SQL};
  CREATE INDEX IF NOT EXISTS ix_outbox_dead ON message_outbox(status, queued_at, completed_at) WHERE ${OUTBOX_DEAD_SQL};
  CREATE INDEX IF NOT EXISTS ix_outbox_error_class ON message_outbox(error_class, queued_at) WHERE error_class IS NOT NULL;
  CREATE INDEX IF NOT EXISTS ix_history_audit ON message_history(at, id) WHERE ${AUDIT_ENTRY_SQL};
  CREATE INDEX IF NOT EXISTS ix_history_action ON message_history(action, at, id) WHERE ${AUDIT_ENTRY_SQL};
  CREATE INDEX IF NOT EXISTS ix_history_job ON message_history(job_id) WHERE job_id IS NOT NULL;
`;

/**
 * Search's trigram indexes, where pg_trgm can be had (a trusted extension: a database owner may
 * create it). Without it the same search still works, as a scan; nothing else depends on it.
 */
async function trigramIndexes(client: pg.PoolClient): Promise<void> {
  await client.query('SAVEPOINT lc_trgm');
  try {
    await client.query('CREATE EXTENSION IF NOT EXISTS pg_trgm');
    await client.query(`CREATE INDEX IF NOT EXISTS ix_turns_search ON message_turns USING gin (${TURN_SEARCH_TEXT} gin_trgm_ops);
      CREATE INDEX IF NOT EXISTS ix_outbox_search ON message_outbox USING gin (${OUTBOX_SEARCH_TEXT} gin_trgm_ops);`);
    await client.query('RELEASE SAVEPOINT lc_trgm');
  } catch {
    await client.query('ROLLBACK TO SAVEPOINT lc_trgm');
  }
}

type Migration = string | ((client: pg.PoolClient) => Promise<void>);

const MIGRATIONS: Record<number, Migration> = {
  1: V1,
  2: V2,
  3: async (client) => {
    await client.query(V3);
    await trigramIndexes(client);
  },
  4: CHANNEL_STATS_V4,
};

/**
 * A read-only store over a database still at an older version (other nodes run an older app):
 * temporary views named like the tables, with the columns this version reads (NULL, or the
 * signature computed), so every read works unchanged and nothing is written to the database.
 * Temporary objects shadow the tables for this connection only; returns the SQL for one.
 */
export function olderSchemaViews(schema: string, version: number): string | null {
  if (version >= 3) return null;
  const q = `"${schema.replaceAll('"', '""')}"`;
  const view = (table: string, extra: string): string =>
    `CREATE TEMP VIEW ${table} AS SELECT *, ${extra} FROM ${q}.${table};`;
  // Temporary objects are the session's own: allowed under READ WRITE, though the session defaults to read-only.
  return `BEGIN READ WRITE;
    ${view('message_turns', `NULL::text AS replay_of, ${errorSignatureSql(TURN_ERROR_TEXT, 'pg')} AS error_signature`)}
    ${view('message_outbox', `NULL::text AS resend_of, ${errorSignatureSql(OUTBOX_ERROR_TEXT, 'pg')} AS error_signature`)}
    ${view('message_history', 'NULL::text AS action, NULL::text AS note, NULL::text AS job_id')}
    COMMIT;`;
}

/** Whether the search indexes exist (else a search of three characters or more scans). */
export async function hasTrigramSearch(client: pg.PoolClient | pg.Pool): Promise<boolean> {
  const r = await client.query<{ n: number }>(
    "SELECT count(*) AS n FROM pg_catalog.pg_indexes WHERE schemaname = current_schema() AND indexname IN ('ix_turns_search', 'ix_outbox_search')",
  );
  return Number(r.rows[0]?.n ?? 0) === 2;
}

async function versionOf(client: pg.PoolClient): Promise<number | null> {
  // A catalog query, not to_regclass: a session's cached "no such table" survives waiting for the
  // advisory lock while another node creates it, and V1 would run again on live tables.
  const exists = await client.query<{ n: number }>(
    "SELECT count(*) AS n FROM pg_catalog.pg_tables WHERE schemaname = current_schema() AND tablename = 'lifecycle_schema'",
  );
  if (Number(exists.rows[0]?.n ?? 0) === 0) return null;
  const r = await client.query<{ version: number }>('SELECT version FROM lifecycle_schema');
  return r.rows[0]?.version ?? 0;
}

/**
 * Brings the database to PG_SCHEMA_VERSION (or reads its version when `readOnly`). Refuses a
 * newer schema and tables named like ours that are not (no id column), changing nothing.
 */
export async function migrate(client: pg.PoolClient, location: string, readOnly: boolean): Promise<number> {
  const current = await versionOf(client);
  if (current !== null && current > PG_SCHEMA_VERSION) {
    throw new LifecycleError(
      'newer_schema',
      `${location} has lifecycle schema version ${current}, newer than this app's ${PG_SCHEMA_VERSION}: upgrade Lifecycle Desk; nothing was changed`,
    );
  }
  if (current === PG_SCHEMA_VERSION) return current;
  if (readOnly) {
    if (current === null)
      throw new LifecycleError('read_only', `${location} has no lifecycle schema yet, and it is open read-only`);
    return current;
  }
  await client.query('BEGIN');
  try {
    await client.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
    // Another node may have migrated while we waited for the lock: read again under it.
    let version = (await versionOf(client)) ?? 0;
    if (version > PG_SCHEMA_VERSION)
      throw new LifecycleError('newer_schema', `${location} was migrated past version ${PG_SCHEMA_VERSION} meanwhile`);
    for (const name of ['message_turns', 'message_outbox']) {
      const cols = await client.query<{ column_name: string }>(
        'SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1',
        [name],
      );
      if (cols.rows.length > 0 && !cols.rows.some((c) => c.column_name === 'id')) {
        throw new LifecycleError(
          'foreign_database',
          `${location} has a table ${name} that is not a lifecycle table (no id column); nothing was changed`,
        );
      }
    }
    await client.query('CREATE TABLE IF NOT EXISTS lifecycle_schema (version INTEGER NOT NULL)');
    while (version < PG_SCHEMA_VERSION) {
      version++;
      const step = MIGRATIONS[version]!;
      if (typeof step === 'string') await client.query(step);
      else await step(client);
    }
    await client.query('DELETE FROM lifecycle_schema');
    await client.query('INSERT INTO lifecycle_schema (version) VALUES ($1)', [version]);
    await client.query('COMMIT');
    return version;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    if (err instanceof LifecycleError) throw err;
    throw new LifecycleError(
      'migration_failed',
      `${location}: migration failed, nothing was changed (${(err as Error).message})`,
      {
        cause: err,
      },
    );
  }
}
