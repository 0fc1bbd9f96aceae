import type Database from 'better-sqlite3';
import {
  OUTBOX_DEAD_SQL,
  OUTBOX_FAILED_AT,
  OUTBOX_FAILURE_SQL,
  TURN_DEAD_SQL,
  TURN_FAILED_AT,
  TURN_FAILURE_SQL,
} from '../triage-rules';
import { V5_HISTORY_COLUMNS, V5_OUTBOX_COLUMNS, V5_TURN_COLUMNS, type ColumnSpec } from './columns';
import type { Migration } from './types';

/**
 * The indexes of issue 11's triage reads, each a range scan: error groups over a window (the
 * failures by time, covering what a group counts), a group's members by signature, dead letters
 * by when they ended, the links of resends and replays, the audit without bulk jobs' per-row entries.
 */
export const V5_INDEXES: Record<string, string> = {
  ix_outbox_failures: `message_outbox(${OUTBOX_FAILED_AT}, channel, dispatch_kind, error_signature, status, id) WHERE ${OUTBOX_FAILURE_SQL}`,
  ix_turns_failures: `message_turns(${TURN_FAILED_AT}, channel, error_signature, status, id) WHERE ${TURN_FAILURE_SQL}`,
  // A group's members in the lists' time order; partial on failures, so a group's count reads this index only.
  ix_outbox_signature: `message_outbox(error_signature, queued_at) WHERE ${OUTBOX_FAILURE_SQL}`,
  ix_turns_signature: `message_turns(error_signature, accepted_at) WHERE ${TURN_FAILURE_SQL}`,
  // Dead work in the lists' time order, covering the window's term and the link's probe.
  // (terminal_reason, channel ride along so that the partial index's own terms and a channel are read from it.)
  ix_outbox_dead: `message_outbox(status, queued_at, completed_at, id, channel, terminal_reason) WHERE ${OUTBOX_DEAD_SQL}`,
  ix_turns_dead: `message_turns(status, accepted_at, completed_at, id, channel, terminal_reason) WHERE ${TURN_DEAD_SQL}`,
  // The window's dead work by when it ended, covering the attention counts of status() and the link's probe.
  ix_outbox_dead_done: `message_outbox(completed_at, id, status, terminal_reason) WHERE ${OUTBOX_DEAD_SQL}`,
  ix_turns_dead_done: `message_turns(completed_at, id, status, terminal_reason) WHERE ${TURN_DEAD_SQL}`,
  ix_outbox_resend_of: 'message_outbox(resend_of) WHERE resend_of IS NOT NULL',
  ix_turns_replay_of: 'message_turns(replay_of) WHERE replay_of IS NOT NULL',
  ix_history_audit: "message_history(at, id) WHERE actor = 'operator' AND job_id IS NULL",
  ix_history_action: "message_history(action, at, id) WHERE actor = 'operator' AND job_id IS NULL",
  ix_history_job: 'message_history(job_id) WHERE job_id IS NOT NULL',
};

/** What the full-text indexes hold of a row (`r`: NEW, OLD or the table), per table. */
interface Searched {
  kind: 'turn' | 'outbox';
  table: string;
  /** Text written once (ids, keys, payload): the large index. */
  fts: string;
  /** The error, which changes as the row fails: a small index of its own, so a failure re-indexes only it. */
  ftsError: string;
  /** The columns whose change re-indexes the row's keys and payload. */
  keyColumns: readonly string[];
  /** The columns whose change re-indexes the row's error. */
  errorColumns: readonly string[];
  text: (r: string) => [keys: string, payload: string];
  error: (r: string) => string;
}

export const SEARCHED: readonly Searched[] = [
  {
    kind: 'turn',
    table: 'message_turns',
    fts: 'message_turns_fts',
    ftsError: 'message_turns_fts_error',
    keyColumns: ['id', 'external_id', 'dedupe_key', 'session_key', 'payload'],
    errorColumns: ['id', 'terminal_reason'],
    text: (r) => [
      `coalesce(${r}.external_id, '') || ' ' || coalesce(${r}.dedupe_key, '') || ' ' || ${r}.session_key`,
      `substr(${r}.payload, 1, 2000)`,
    ],
    error: (r) => `${r}.terminal_reason`,
  },
  {
    kind: 'outbox',
    table: 'message_outbox',
    fts: 'message_outbox_fts',
    ftsError: 'message_outbox_fts_error',
    keyColumns: ['id', 'turn_id', 'idempotency_key', 'target', 'payload'],
    errorColumns: ['id', 'last_error', 'terminal_reason'],
    text: (r) => [
      `coalesce(${r}.turn_id, '') || ' ' || coalesce(${r}.idempotency_key, '') || ' ' || ${r}.target`,
      `substr(${r}.payload, 1, 1000)`,
    ],
    error: (r) => `nullif(trim(coalesce(${r}.last_error, '') || ' ' || coalesce(${r}.terminal_reason, '')), '')`,
  },
];

/** The statements that index the rows `from` selects (`r` names them): both indexes, the error only where there is one. */
export function indexRows(s: Searched, r: string, from: string): string[] {
  return [
    `INSERT OR REPLACE INTO ${s.fts} (rowid, fts_id, fts_keys, fts_payload)
       SELECT ${r}.rowid, ${r}.id, ${s.text(r).join(', ')} ${from};`,
    `INSERT OR REPLACE INTO ${s.ftsError} (rowid, fts_id, fts_error)
       SELECT ${r}.rowid, ${r}.id, ${s.error(r)} ${from} ${from.includes(' WHERE ') ? 'AND' : 'WHERE'} ${s.error(r)} IS NOT NULL;`,
  ];
}

/**
 * The full-text indexes of a table (FTS5, trigram: any part of a key or a word of a payload),
 * kept by triggers so rows of any writer are found. The keys and payload, written once, are in
 * one; the error, which each failure changes, in a second, small one: a failing UPDATE
 * re-indexes a few dozen characters, not the payload's thousands. Their rowid is the row's and
 * they store the row's id: VACUUM may renumber the rowids of a table without INTEGER PRIMARY
 * KEY, so a search keeps a hit only when the ids agree, and deletes name both. An insert
 * REPLACEs an entry left under its rowid. A row an INSERT OR REPLACE removes fires no delete
 * trigger: v3's BEFORE INSERT trigger notes it (now with its rowid) and the insert's trigger
 * removes its entries first. An update REPLACEs the row's entry at its rowid (a delete first
 * would cost a lookup in the index), and deletes its error entry only when the error is gone.
 * Rows already in the file are indexed later, in the background
 * (search-backfill.ts), so that the migration does not hold the write lock for minutes.
 */
function searchIndex(s: Searched): string {
  const [keys, payload] = s.text('NEW');
  const error = s.error('NEW');
  const replaced = `(SELECT old_rowid FROM lifecycle_replaced WHERE entity = '${s.kind}' AND old_rowid IS NOT NULL)`;
  const changed = (columns: readonly string[]): string => columns.map((c) => `OLD.${c} IS NOT NEW.${c}`).join(' OR ');
  const insertKeys = `INSERT OR REPLACE INTO ${s.fts} (rowid, fts_id, fts_keys, fts_payload)
        VALUES (NEW.rowid, NEW.id, ${keys}, ${payload});`;
  const insertError = `INSERT OR REPLACE INTO ${s.ftsError} (rowid, fts_id, fts_error)
        SELECT NEW.rowid, NEW.id, ${error} WHERE ${error} IS NOT NULL;`;
  return `
    CREATE VIRTUAL TABLE ${s.fts} USING fts5(fts_id, fts_keys, fts_payload, tokenize = 'trigram', columnsize = 0);
    CREATE VIRTUAL TABLE ${s.ftsError} USING fts5(fts_id UNINDEXED, fts_error, tokenize = 'trigram', columnsize = 0);
    CREATE TRIGGER lc_${s.kind}_fts_insert AFTER INSERT ON ${s.table} BEGIN
      DELETE FROM ${s.fts} WHERE rowid IN ${replaced};
      DELETE FROM ${s.ftsError} WHERE rowid IN ${replaced};
      ${insertKeys}
      ${insertError}
    END;
    CREATE TRIGGER lc_${s.kind}_fts_update AFTER UPDATE OF ${s.keyColumns.join(', ')} ON ${s.table}
      WHEN ${changed(s.keyColumns)} BEGIN
      ${insertKeys}
    END;
    CREATE TRIGGER lc_${s.kind}_fts_error_update AFTER UPDATE OF ${s.errorColumns.join(', ')} ON ${s.table}
      WHEN ${changed(s.errorColumns)} BEGIN
      DELETE FROM ${s.ftsError} WHERE rowid = OLD.rowid AND fts_id = OLD.id AND ${error} IS NULL;
      ${insertError}
    END;
    CREATE TRIGGER lc_${s.kind}_fts_delete AFTER DELETE ON ${s.table} BEGIN
      DELETE FROM ${s.fts} WHERE rowid = OLD.rowid AND fts_id = OLD.id;
      DELETE FROM ${s.ftsError} WHERE rowid = OLD.rowid AND fts_id = OLD.id;
    END;
    INSERT INTO lifecycle_search_backfill (entity, below, done, total)
      SELECT '${s.kind}', CASE WHEN max(rowid) IS NULL THEN 0 ELSE max(rowid) + 1 END, 0, count(*) FROM ${s.table};`;
}

/** v3's note of a row a REPLACE is about to remove, now with its rowid (for the search index). */
function replacedNote(kind: 'turn' | 'outbox', table: string, uniqueKey: string): string {
  return `
    DROP TRIGGER IF EXISTS lc_${kind}_before_insert;
    CREATE TRIGGER lc_${kind}_before_insert BEFORE INSERT ON ${table} BEGIN
      DELETE FROM lifecycle_replaced WHERE entity = '${kind}';
      INSERT INTO lifecycle_replaced (entity, old_id, status, old_rowid)
        SELECT '${kind}', id, status, rowid FROM ${table}
        WHERE id = NEW.id OR (NEW.${uniqueKey} IS NOT NULL AND ${uniqueKey} = NEW.${uniqueKey});
    END;`;
}

function addColumns(db: Database.Database, table: string, columns: readonly ColumnSpec[]): void {
  const have = new Set((db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name));
  // table_info leaves generated columns out; table_xinfo lists them.
  for (const c of db.prepare(`PRAGMA table_xinfo(${table})`).all() as { name: string }[]) have.add(c.name);
  for (const c of columns) if (!have.has(c.name)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${c.name} ${c.adopt}`);
}

/**
 * Version 5 (issue 11, triage): the links of resends and replays as new turns, the normalized
 * error as a VIRTUAL generated column (computed from the row, so any writer's failures are
 * grouped, and stored only in the partial indexes of rows that have an error), who did what
 * and why in the history, the indexes above, and the full-text search indexes filled with the
 * rows already there noted for the background backfill (search-backfill.ts).
 */
export const v5: Migration = (db) => {
  addColumns(db, 'message_turns', V5_TURN_COLUMNS);
  addColumns(db, 'message_outbox', V5_OUTBOX_COLUMNS);
  addColumns(db, 'message_history', V5_HISTORY_COLUMNS);
  db.exec('ALTER TABLE lifecycle_replaced ADD COLUMN old_rowid INTEGER');
  db.exec(
    replacedNote('turn', 'message_turns', 'dedupe_key') + replacedNote('outbox', 'message_outbox', 'idempotency_key'),
  );
  for (const [name, on] of Object.entries(V5_INDEXES)) db.exec(`CREATE INDEX IF NOT EXISTS ${name} ON ${on}`);
  // How far the background backfill of the rows already here got, per table: it indexes the
  // rowids below `below` walking down (0: none left), `done` of the `total` there were.
  db.exec(`CREATE TABLE lifecycle_search_backfill (
    entity TEXT PRIMARY KEY, below INTEGER NOT NULL, done INTEGER NOT NULL, total INTEGER NOT NULL)`);
  db.exec(SEARCHED.map(searchIndex).join('\n'));
};
