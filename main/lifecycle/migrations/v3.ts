import type Database from 'better-sqlite3';

/** The SQL clock in ms since the epoch: what a trigger has when the writer is not our core. */
const SQL_NOW = `CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)`;

interface Entity {
  /** 'turn' | 'outbox': the value in lifecycle_counts.entity and message_history.kind. */
  kind: string;
  table: string;
  /** Besides the id, the unique key a REPLACE can collide on. */
  uniqueKey: string;
  subject: (row: string) => string;
  /** When a row entered its status, for the per-minute series. */
  minute: (row: string) => string;
  reason: (row: string) => string;
}

const TURN: Entity = {
  kind: 'turn',
  table: 'message_turns',
  uniqueKey: 'dedupe_key',
  subject: (r) => `${r}.id`,
  minute: (r) => `${r}.updated_at / 60000`,
  reason: (r) => `CASE WHEN ${r}.status <> 'accepted' AND ${r}.status <> 'running' THEN ${r}.terminal_reason END`,
};

const OUTBOX: Entity = {
  kind: 'outbox',
  table: 'message_outbox',
  uniqueKey: 'idempotency_key',
  subject: (r) => `coalesce(${r}.turn_id, ${r}.id)`,
  minute: (r) => `coalesce(${r}.completed_at, ${r}.last_attempt_at, ${r}.queued_at) / 60000`,
  reason: (r) =>
    `CASE WHEN ${r}.status <> 'queued' AND ${r}.status <> 'delivered' THEN coalesce(${r}.terminal_reason, ${r}.last_error) END`,
};

/**
 * Triggers that see every writer, so the timeline and the counts hold for a gateway that knows
 * nothing of them (plain SQL, INSERT OR REPLACE included):
 * - history: every insert and status change writes its timeline entry as `gateway`; our core
 *   then fills in the actor, reason and who of the entry it caused (history.ts), so nothing is
 *   recorded twice.
 * - REPLACE: SQLite deletes the row it replaces without delete triggers (unless the writer set
 *   recursive_triggers). A BEFORE INSERT trigger, which runs before that deletion, notes the
 *   row about to go; the AFTER INSERT trigger settles its count and timeline entry. An insert
 *   that was ignored (OR IGNORE) leaves its note behind, and the next insert clears it.
 */
function triggers(e: Entity): string {
  const counted = (sign: '+' | '-', status: string): string =>
    sign === '+'
      ? `INSERT INTO lifecycle_counts VALUES ('${e.kind}', ${status}, 1) ON CONFLICT (entity, status) DO UPDATE SET n = n + 1;`
      : `UPDATE lifecycle_counts SET n = n - 1 WHERE entity = '${e.kind}' AND status = ${status};`;
  const history = (from: string, reason: string): string =>
    `INSERT INTO message_history (kind, entity_id, subject_id, from_status, to_status, actor, reason, actor_name, at)
       VALUES ('${e.kind}', NEW.id, ${e.subject('NEW')}, ${from}, NEW.status, 'gateway', ${reason}, NULL, ${SQL_NOW});`;
  const replaced = `(SELECT status FROM lifecycle_replaced WHERE entity = '${e.kind}' AND old_id = NEW.id)`;
  const turnMinute = e.kind === 'turn' ? 'NEW.accepted_at / 60000' : e.minute('NEW');
  return `
    DROP TRIGGER IF EXISTS lc_${e.kind}_insert;
    DROP TRIGGER IF EXISTS lc_${e.kind}_delete;
    CREATE TRIGGER lc_${e.kind}_before_insert BEFORE INSERT ON ${e.table} BEGIN
      DELETE FROM lifecycle_replaced WHERE entity = '${e.kind}';
      INSERT INTO lifecycle_replaced (entity, old_id, status)
        SELECT '${e.kind}', id, status FROM ${e.table}
        WHERE id = NEW.id OR (NEW.${e.uniqueKey} IS NOT NULL AND ${e.uniqueKey} = NEW.${e.uniqueKey});
    END;
    CREATE TRIGGER lc_${e.kind}_insert AFTER INSERT ON ${e.table} BEGIN
      UPDATE lifecycle_counts
        SET n = n - (SELECT count(*) FROM lifecycle_replaced r
                     WHERE r.entity = '${e.kind}' AND r.counted = 0 AND r.status = lifecycle_counts.status)
        WHERE entity = '${e.kind}' AND status IN (SELECT status FROM lifecycle_replaced WHERE entity = '${e.kind}' AND counted = 0);
      INSERT INTO lifecycle_minutes (entity, minute, status, exited)
        SELECT '${e.kind}', ${e.minute('NEW')}, status, count(*) FROM lifecycle_replaced
        WHERE entity = '${e.kind}' AND counted = 0 GROUP BY status
        ON CONFLICT (entity, minute, status) DO UPDATE SET exited = exited + excluded.exited;
      ${history(replaced, `coalesce((SELECT 'INSERT OR REPLACE over ' || group_concat(old_id || ' (' || status || ')', ', ') FROM lifecycle_replaced WHERE entity = '${e.kind}'), ${e.reason('NEW')})`)}
      DELETE FROM lifecycle_replaced WHERE entity = '${e.kind}';
      ${counted('+', 'NEW.status')}
      INSERT INTO lifecycle_minutes (entity, minute, status, entered) VALUES ('${e.kind}', ${turnMinute}, NEW.status, 1)
        ON CONFLICT (entity, minute, status) DO UPDATE SET entered = entered + 1;
    END;
    CREATE TRIGGER lc_${e.kind}_history AFTER UPDATE OF status ON ${e.table} WHEN OLD.status IS NOT NEW.status BEGIN
      ${history('OLD.status', e.reason('NEW'))}
    END;
    CREATE TRIGGER lc_${e.kind}_delete AFTER DELETE ON ${e.table} BEGIN
      ${counted('-', 'OLD.status')}
      -- A REPLACE under recursive_triggers: this trigger counted the replaced row already.
      UPDATE lifecycle_replaced SET counted = 1 WHERE entity = '${e.kind}' AND old_id = OLD.id;
    END;`;
}

/**
 * Version 3: timelines and counts for every writer (see `triggers`), and the recovery workers'
 * heartbeats. Counts are rebuilt once, since REPLACE writes before this version skewed them.
 */
export function v3(db: Database.Database): void {
  db.exec(`
    CREATE TABLE lifecycle_replaced (
      entity TEXT NOT NULL, old_id TEXT NOT NULL, status TEXT NOT NULL,
      -- 1 once a delete trigger counted the row's removal (a REPLACE under recursive_triggers).
      counted INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE lifecycle_workers (
      owner TEXT PRIMARY KEY, host TEXT NOT NULL, pid INTEGER NOT NULL, started_at INTEGER NOT NULL,
      last_pass_at INTEGER, next_pass_at INTEGER, stopped_at INTEGER, seen_at INTEGER NOT NULL,
      -- What it can do beyond expiry and finalization: 'deliver', 'replay', comma-separated.
      handlers TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX ix_workers_seen ON lifecycle_workers(seen_at);
    ${triggers(TURN)}
    ${triggers(OUTBOX)}
    DELETE FROM lifecycle_counts;
    INSERT INTO lifecycle_counts (entity, status, n) SELECT 'turn', status, count(*) FROM message_turns GROUP BY status;
    INSERT INTO lifecycle_counts (entity, status, n) SELECT 'outbox', status, count(*) FROM message_outbox GROUP BY status;
  `);
}
