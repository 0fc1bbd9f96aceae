import type Database from 'better-sqlite3';

// The write path's share of version 4: the same counts, minutes and timeline as v2/v3's
// triggers (every writer, REPLACE included), in fewer trigger programs and statements, since
// each costs every gateway write its run. What changes, per table (turns, outbox):
// - a status change ran two triggers (v2's counts/minutes, v3's timeline) of five statements;
//   it is now one trigger of three: both counts in one upsert, both minutes in one upsert, the
//   timeline entry.
// - an insert ran the REPLACE bookkeeping (five statements over lifecycle_replaced) even when
//   nothing was replaced. Now a plain insert runs only its timeline entry, count and minute; the
//   bookkeeping runs in a trigger of its own, only when the BEFORE INSERT trigger noted a row
//   about to be replaced. That trigger leaves its notes for the next insert to clear (as an
//   ignored insert already did), so neither trigger's WHEN depends on the other having run.

/** The SQL clock in ms since the epoch: what a trigger has when the writer is not our core. */
const SQL_NOW = `CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)`;

interface Entity {
  kind: 'turn' | 'outbox';
  table: string;
  subject: string;
  /** The minute a row entered its status (for the per-minute series). */
  minute: string;
  /** The minute an inserted row counts as entering its first status. */
  insertMinute: string;
  reason: string;
  /** Turns also count the status a row left, per minute; rows only what they entered (v2). */
  countsExit: boolean;
}

const ENTITIES: readonly Entity[] = [
  {
    kind: 'turn',
    table: 'message_turns',
    subject: 'NEW.id',
    minute: 'NEW.updated_at / 60000',
    insertMinute: 'NEW.accepted_at / 60000',
    reason: `CASE WHEN NEW.status <> 'accepted' AND NEW.status <> 'running' THEN NEW.terminal_reason END`,
    countsExit: true,
  },
  {
    kind: 'outbox',
    table: 'message_outbox',
    subject: 'coalesce(NEW.turn_id, NEW.id)',
    minute: 'coalesce(NEW.completed_at, NEW.last_attempt_at, NEW.queued_at) / 60000',
    insertMinute: 'coalesce(NEW.completed_at, NEW.last_attempt_at, NEW.queued_at) / 60000',
    reason: `CASE WHEN NEW.status <> 'queued' AND NEW.status <> 'delivered' THEN coalesce(NEW.terminal_reason, NEW.last_error) END`,
    countsExit: false,
  },
];

function triggers(e: Entity): string {
  const history = (from: string, reason: string): string =>
    `INSERT INTO message_history (kind, entity_id, subject_id, from_status, to_status, actor, reason, actor_name, at)
       VALUES ('${e.kind}', NEW.id, ${e.subject}, ${from}, NEW.status, 'gateway', ${reason}, NULL, ${SQL_NOW});`;
  const noted = `SELECT 1 FROM lifecycle_replaced WHERE entity = '${e.kind}'`;
  const replaced = `(SELECT status FROM lifecycle_replaced WHERE entity = '${e.kind}' AND old_id = NEW.id)`;
  const entered = `INSERT INTO lifecycle_counts VALUES ('${e.kind}', NEW.status, 1) ON CONFLICT (entity, status) DO UPDATE SET n = n + 1;
      INSERT INTO lifecycle_minutes (entity, minute, status, entered) VALUES ('${e.kind}', ${e.insertMinute}, NEW.status, 1)
        ON CONFLICT (entity, minute, status) DO UPDATE SET entered = entered + 1;`;
  const minutes = e.countsExit
    ? `('${e.kind}', ${e.minute}, OLD.status, 0, 1), ('${e.kind}', ${e.minute}, NEW.status, 1, 0)`
    : `('${e.kind}', ${e.minute}, NEW.status, 1, 0)`;
  return `
    DROP TRIGGER IF EXISTS lc_${e.kind}_insert;
    DROP TRIGGER IF EXISTS lc_${e.kind}_insert_replacing;
    DROP TRIGGER IF EXISTS lc_${e.kind}_status;
    DROP TRIGGER IF EXISTS lc_${e.kind}_history;
    CREATE TRIGGER lc_${e.kind}_insert AFTER INSERT ON ${e.table} WHEN NOT EXISTS (${noted}) BEGIN
      ${history('NULL', e.reason)}
      ${entered}
    END;
    CREATE TRIGGER lc_${e.kind}_insert_replacing AFTER INSERT ON ${e.table} WHEN EXISTS (${noted}) BEGIN
      UPDATE lifecycle_counts
        SET n = n - (SELECT count(*) FROM lifecycle_replaced r
                     WHERE r.entity = '${e.kind}' AND r.counted = 0 AND r.status = lifecycle_counts.status)
        WHERE entity = '${e.kind}' AND status IN (SELECT status FROM lifecycle_replaced WHERE entity = '${e.kind}' AND counted = 0);
      INSERT INTO lifecycle_minutes (entity, minute, status, exited)
        SELECT '${e.kind}', ${e.minute}, status, count(*) FROM lifecycle_replaced
        WHERE entity = '${e.kind}' AND counted = 0 GROUP BY status
        ON CONFLICT (entity, minute, status) DO UPDATE SET exited = exited + excluded.exited;
      ${history(replaced, `coalesce((SELECT 'INSERT OR REPLACE over ' || group_concat(old_id || ' (' || status || ')', ', ') FROM lifecycle_replaced WHERE entity = '${e.kind}'), ${e.reason})`)}
      ${entered}
    END;
    CREATE TRIGGER lc_${e.kind}_status AFTER UPDATE OF status ON ${e.table} WHEN OLD.status IS NOT NEW.status BEGIN
      INSERT INTO lifecycle_counts VALUES ('${e.kind}', OLD.status, -1), ('${e.kind}', NEW.status, 1)
        ON CONFLICT (entity, status) DO UPDATE SET n = n + excluded.n;
      INSERT INTO lifecycle_minutes (entity, minute, status, entered, exited) VALUES ${minutes}
        ON CONFLICT (entity, minute, status) DO UPDATE SET entered = entered + excluded.entered, exited = exited + excluded.exited;
      ${history('OLD.status', e.reason)}
    END;`;
}

/** Replaces the v2/v3 insert and status-change triggers of both tables (idempotent). */
export function applyV4Writes(db: Database.Database): void {
  db.exec(ENTITIES.map(triggers).join('\n'));
}
