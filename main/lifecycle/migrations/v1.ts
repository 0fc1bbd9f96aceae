import type Database from 'better-sqlite3';
import { OUTBOX_COLUMNS, TURN_COLUMNS, type ColumnSpec } from './columns';
import type { Migration } from './types';

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

/**
 * Version 1: the SPEC's tables, indexes and our timeline. Also adopts files written by gateways
 * that predate versioning: their tables exist, possibly missing columns, which are added.
 */
export const v1: Migration = (db) => {
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
