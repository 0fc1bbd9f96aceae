import type Database from 'better-sqlite3';
import { v3 } from './migration-v3';

/**
 * One entry per `user_version`. Migration N brings a file from N-1 to N and runs inside
 * the single transaction opened by `migrate`. Version 1 also adopts files written by
 * gateways that predate versioning: their tables exist, possibly missing columns.
 */
type Migration = (db: Database.Database) => void;

export interface ColumnSpec {
  name: string;
  /** Definition used for a new table. */
  create: string;
  /** Definition used to add the column to an adopted table (must be nullable or defaulted). */
  adopt: string;
}

const col = (name: string, create: string, adopt = create): ColumnSpec => ({ name, create, adopt });

export const TURN_COLUMNS: ColumnSpec[] = [
  col('id', 'TEXT PRIMARY KEY'),
  col('channel', "TEXT NOT NULL DEFAULT ''"),
  col('account_id', "TEXT NOT NULL DEFAULT ''"),
  col('external_id', 'TEXT'),
  col('dedupe_key', 'TEXT'),
  col('session_key', "TEXT NOT NULL DEFAULT ''"),
  col('payload', "TEXT NOT NULL DEFAULT '{}'"),
  col('route_channel', "TEXT NOT NULL DEFAULT ''"),
  col('route_to', "TEXT NOT NULL DEFAULT ''"),
  col('route_account_id', 'TEXT'),
  col('route_thread_id', 'TEXT'),
  col('route_reply_to_id', 'TEXT'),
  col('accepted_at', 'INTEGER NOT NULL', 'INTEGER NOT NULL DEFAULT 0'),
  col('updated_at', 'INTEGER NOT NULL', 'INTEGER NOT NULL DEFAULT 0'),
  col('status', "TEXT NOT NULL DEFAULT 'accepted'"),
  col('attempt_count', 'INTEGER NOT NULL DEFAULT 0'),
  col('next_attempt_at', 'INTEGER NOT NULL', 'INTEGER NOT NULL DEFAULT 0'),
  col('terminal_reason', 'TEXT'),
  col('completed_at', 'INTEGER'),
  // Ours: a lease so two processes sharing the file never work on the same turn.
  col('claim_owner', 'TEXT'),
  col('claim_expires_at', 'INTEGER'),
];

export const OUTBOX_COLUMNS: ColumnSpec[] = [
  col('id', 'TEXT PRIMARY KEY'),
  col('turn_id', 'TEXT'),
  col('channel', 'TEXT NOT NULL', "TEXT NOT NULL DEFAULT ''"),
  col('account_id', "TEXT NOT NULL DEFAULT ''"),
  col('target', "TEXT NOT NULL DEFAULT ''"),
  col('dispatch_kind', 'TEXT'),
  col('payload', 'TEXT NOT NULL', "TEXT NOT NULL DEFAULT '{}'"),
  col('queued_at', 'INTEGER NOT NULL', 'INTEGER NOT NULL DEFAULT 0'),
  col('status', "TEXT NOT NULL DEFAULT 'queued'"),
  col('attempt_count', 'INTEGER NOT NULL DEFAULT 0'),
  col('next_attempt_at', 'INTEGER NOT NULL', 'INTEGER NOT NULL DEFAULT 0'),
  col('last_attempt_at', 'INTEGER'),
  col('delivered_at', 'INTEGER'),
  col('completed_at', 'INTEGER'),
  col('last_error', 'TEXT'),
  col('error_class', 'TEXT'),
  col('terminal_reason', 'TEXT'),
  col('idempotency_key', 'TEXT'),
  col('claim_owner', 'TEXT'),
  col('claim_expires_at', 'INTEGER'),
  // Ours: set when an expired row was given one last attempt instead of expiring.
  col('last_chance', 'INTEGER NOT NULL DEFAULT 0'),
];

function ensureTable(db: Database.Database, table: string, columns: ColumnSpec[]): void {
  const existing = db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[];
  if (existing.length === 0) {
    db.exec(`CREATE TABLE ${table} (${columns.map((c) => `${c.name} ${c.create}`).join(', ')})`);
    return;
  }
  const have = new Set(existing.map((c) => c.name));
  for (const c of columns) {
    if (!have.has(c.name)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${c.name} ${c.adopt}`);
  }
}

const v1: Migration = (db) => {
  ensureTable(db, 'message_turns', TURN_COLUMNS);
  ensureTable(db, 'message_outbox', OUTBOX_COLUMNS);
  db.exec(`
    CREATE TABLE IF NOT EXISTS message_history (
      id INTEGER PRIMARY KEY,
      kind TEXT NOT NULL,
      entity_id TEXT,
      subject_id TEXT,
      from_status TEXT,
      to_status TEXT,
      actor TEXT NOT NULL,
      reason TEXT,
      actor_name TEXT,
      at INTEGER NOT NULL
    );
    -- The SPEC's indexes (names are ours; gateways that made their own keep theirs).
    CREATE UNIQUE INDEX IF NOT EXISTS ux_turns_dedupe ON message_turns(dedupe_key) WHERE dedupe_key IS NOT NULL;
    CREATE INDEX IF NOT EXISTS ix_turns_status_next ON message_turns(status, next_attempt_at, updated_at);
    -- (session_key, status) extended by accepted_at: the superseded check ranges on it.
    CREATE INDEX IF NOT EXISTS ix_turns_session_status ON message_turns(session_key, status, accepted_at);
    CREATE UNIQUE INDEX IF NOT EXISTS ux_outbox_idempotency ON message_outbox(idempotency_key) WHERE idempotency_key IS NOT NULL;
    CREATE INDEX IF NOT EXISTS ix_outbox_turn_status ON message_outbox(turn_id, status) WHERE turn_id IS NOT NULL;
    CREATE INDEX IF NOT EXISTS ix_outbox_status_next ON message_outbox(status, next_attempt_at, queued_at);
    -- Ours, one per query shape of the worker and dashboard (see test/unit/query-plans).
    CREATE INDEX IF NOT EXISTS ix_turns_status_accepted ON message_turns(status, accepted_at);
    CREATE INDEX IF NOT EXISTS ix_turns_accepted ON message_turns(accepted_at, status);
    CREATE INDEX IF NOT EXISTS ix_turns_completed ON message_turns(completed_at, status) WHERE completed_at IS NOT NULL;
    CREATE INDEX IF NOT EXISTS ix_outbox_status_queued ON message_outbox(status, queued_at);
    CREATE INDEX IF NOT EXISTS ix_outbox_kind_status ON message_outbox(dispatch_kind, status, queued_at);
    CREATE INDEX IF NOT EXISTS ix_outbox_queued ON message_outbox(queued_at);
    CREATE INDEX IF NOT EXISTS ix_outbox_completed ON message_outbox(completed_at, status) WHERE completed_at IS NOT NULL;
    CREATE INDEX IF NOT EXISTS ix_history_subject ON message_history(subject_id, id);
    CREATE INDEX IF NOT EXISTS ix_history_operator ON message_history(at) WHERE actor = 'operator';
  `);
};

/**
 * Counters kept by triggers, so the dashboard's counts and time series cost a few key lookups
 * on any size of database, and stay right whoever writes the file (gateways included).
 * `lifecycle_minutes` records, per minute, how many turns/rows entered and left each status.
 */
const v2: Migration = (db) => {
  db.exec(`
    CREATE TABLE lifecycle_counts (
      entity TEXT NOT NULL, status TEXT NOT NULL, n INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (entity, status)
    ) WITHOUT ROWID;
    CREATE TABLE lifecycle_minutes (
      entity TEXT NOT NULL, minute INTEGER NOT NULL, status TEXT NOT NULL,
      entered INTEGER NOT NULL DEFAULT 0, exited INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (entity, minute, status)
    ) WITHOUT ROWID;
    INSERT INTO lifecycle_counts (entity, status, n)
      SELECT 'turn', status, count(*) FROM message_turns GROUP BY status;
    INSERT INTO lifecycle_counts (entity, status, n)
      SELECT 'outbox', status, count(*) FROM message_outbox GROUP BY status;
    INSERT INTO lifecycle_minutes (entity, minute, status, entered)
      SELECT 'turn', accepted_at / 60000, 'accepted', count(*) FROM message_turns GROUP BY 2;
    INSERT INTO lifecycle_minutes (entity, minute, status, entered)
      SELECT 'turn', updated_at / 60000, status, count(*) FROM message_turns WHERE status <> 'accepted' GROUP BY 2, 3 HAVING true
      ON CONFLICT (entity, minute, status) DO UPDATE SET entered = entered + excluded.entered;
    INSERT INTO lifecycle_minutes (entity, minute, status, exited)
      SELECT 'turn', updated_at / 60000, 'accepted', count(*) FROM message_turns WHERE status <> 'accepted' GROUP BY 2 HAVING true
      ON CONFLICT (entity, minute, status) DO UPDATE SET exited = exited + excluded.exited;
    INSERT INTO lifecycle_minutes (entity, minute, status, entered)
      SELECT 'outbox', coalesce(completed_at, last_attempt_at, queued_at) / 60000, status, count(*)
      FROM message_outbox WHERE true GROUP BY 2, 3
      ON CONFLICT (entity, minute, status) DO UPDATE SET entered = entered + excluded.entered;

    CREATE TRIGGER lc_turn_insert AFTER INSERT ON message_turns BEGIN
      INSERT INTO lifecycle_counts VALUES ('turn', NEW.status, 1) ON CONFLICT (entity, status) DO UPDATE SET n = n + 1;
      INSERT INTO lifecycle_minutes (entity, minute, status, entered) VALUES ('turn', NEW.accepted_at / 60000, NEW.status, 1)
        ON CONFLICT (entity, minute, status) DO UPDATE SET entered = entered + 1;
    END;
    CREATE TRIGGER lc_turn_status AFTER UPDATE OF status ON message_turns WHEN OLD.status IS NOT NEW.status BEGIN
      UPDATE lifecycle_counts SET n = n - 1 WHERE entity = 'turn' AND status = OLD.status;
      INSERT INTO lifecycle_counts VALUES ('turn', NEW.status, 1) ON CONFLICT (entity, status) DO UPDATE SET n = n + 1;
      INSERT INTO lifecycle_minutes (entity, minute, status, exited) VALUES ('turn', NEW.updated_at / 60000, OLD.status, 1)
        ON CONFLICT (entity, minute, status) DO UPDATE SET exited = exited + 1;
      INSERT INTO lifecycle_minutes (entity, minute, status, entered) VALUES ('turn', NEW.updated_at / 60000, NEW.status, 1)
        ON CONFLICT (entity, minute, status) DO UPDATE SET entered = entered + 1;
    END;
    CREATE TRIGGER lc_turn_delete AFTER DELETE ON message_turns BEGIN
      UPDATE lifecycle_counts SET n = n - 1 WHERE entity = 'turn' AND status = OLD.status;
    END;
    CREATE TRIGGER lc_outbox_insert AFTER INSERT ON message_outbox BEGIN
      INSERT INTO lifecycle_counts VALUES ('outbox', NEW.status, 1) ON CONFLICT (entity, status) DO UPDATE SET n = n + 1;
      INSERT INTO lifecycle_minutes (entity, minute, status, entered)
        VALUES ('outbox', coalesce(NEW.completed_at, NEW.queued_at) / 60000, NEW.status, 1)
        ON CONFLICT (entity, minute, status) DO UPDATE SET entered = entered + 1;
    END;
    CREATE TRIGGER lc_outbox_status AFTER UPDATE OF status ON message_outbox WHEN OLD.status IS NOT NEW.status BEGIN
      UPDATE lifecycle_counts SET n = n - 1 WHERE entity = 'outbox' AND status = OLD.status;
      INSERT INTO lifecycle_counts VALUES ('outbox', NEW.status, 1) ON CONFLICT (entity, status) DO UPDATE SET n = n + 1;
      INSERT INTO lifecycle_minutes (entity, minute, status, entered)
        VALUES ('outbox', coalesce(NEW.completed_at, NEW.last_attempt_at, NEW.queued_at) / 60000, NEW.status, 1)
        ON CONFLICT (entity, minute, status) DO UPDATE SET entered = entered + 1;
    END;
    CREATE TRIGGER lc_outbox_delete AFTER DELETE ON message_outbox BEGIN
      UPDATE lifecycle_counts SET n = n - 1 WHERE entity = 'outbox' AND status = OLD.status;
    END;
  `);
};

export const MIGRATIONS: readonly Migration[] = [v1, v2, v3];
export const SCHEMA_VERSION = MIGRATIONS.length;
export const LIFECYCLE_TABLES = ['message_turns', 'message_outbox'] as const;
