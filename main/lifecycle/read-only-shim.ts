import type Database from 'better-sqlite3';
import {
  OUTBOX_COLUMNS,
  TURN_COLUMNS,
  V5_HISTORY_COLUMNS,
  V5_OUTBOX_COLUMNS,
  V5_TURN_COLUMNS,
  type ColumnSpec,
} from './migrations';

/**
 * Lets the read side run, read-only, over a file whose schema is older than ours (a gateway's
 * unversioned file, or one whose migration failed): TEMP views and tables, which shadow the
 * file's tables of the same name for unqualified names, supply what the migrations would have
 * added. Nothing is written to the file. Counts are computed on every read (slower on large
 * files) and the per-minute series is empty: said in the role's reason.
 */
export function shimOlderSchema(db: Database.Database): void {
  const tables = new Set(
    (db.prepare("SELECT name FROM main.sqlite_master WHERE type = 'table'").all() as { name: string }[]).map(
      (r) => r.name,
    ),
  );
  db.exec(
    view(db, 'message_turns', [...TURN_COLUMNS, ...V5_TURN_COLUMNS]) +
      view(db, 'message_outbox', [...OUTBOX_COLUMNS, ...V5_OUTBOX_COLUMNS]),
  );
  if (!tables.has('message_history')) {
    db.exec(`CREATE TEMP TABLE message_history (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, entity_id TEXT,
      subject_id TEXT, from_status TEXT, to_status TEXT, actor TEXT NOT NULL, reason TEXT, actor_name TEXT, at INTEGER NOT NULL,
      action TEXT, note TEXT, job_id TEXT)`);
  } else {
    db.exec(view(db, 'message_history', [...HISTORY_COLUMNS, ...V5_HISTORY_COLUMNS]));
  }
  db.exec(`
    DROP VIEW IF EXISTS temp.lifecycle_counts;
    CREATE TEMP VIEW lifecycle_counts AS
      SELECT 'turn' AS entity, status, count(*) AS n FROM main.message_turns GROUP BY status
      UNION ALL SELECT 'outbox', status, count(*) FROM main.message_outbox GROUP BY status;
    CREATE TEMP TABLE IF NOT EXISTS lifecycle_minutes (entity TEXT, minute INTEGER, status TEXT, entered INTEGER, exited INTEGER);
    CREATE TEMP TABLE IF NOT EXISTS lifecycle_workers (owner TEXT PRIMARY KEY, host TEXT, pid INTEGER, started_at INTEGER,
      last_pass_at INTEGER, next_pass_at INTEGER, stopped_at INTEGER, seen_at INTEGER, handlers TEXT);
    CREATE INDEX IF NOT EXISTS temp.ix_workers_seen ON lifecycle_workers(seen_at);
  `);
}

const HISTORY_COLUMNS: ColumnSpec[] = [
  'id',
  'kind',
  'entity_id',
  'subject_id',
  'from_status',
  'to_status',
  'actor',
  'reason',
  'actor_name',
  'at',
].map((name) => ({ name, create: 'TEXT', adopt: 'TEXT' }));

function view(db: Database.Database, table: string, columns: ColumnSpec[]): string {
  const have = new Set(
    (db.prepare(`PRAGMA main.table_xinfo(${table})`).all() as { name: string }[]).map((c) => c.name),
  );
  const missing = (c: ColumnSpec): string => (c.generated ? `(${c.generated})` : defaultOf(c));
  const select = columns.map((c) => (have.has(c.name) ? c.name : `${missing(c)} AS ${c.name}`)).join(', ');
  return `DROP VIEW IF EXISTS temp.${table}; CREATE TEMP VIEW ${table} AS SELECT ${select} FROM main.${table};`;
}

/** The value an added column would have had: its DEFAULT, else NULL. */
function defaultOf(c: ColumnSpec): string {
  const m = /DEFAULT\s+('(?:[^']|'')*'|-?\d+)/i.exec(c.adopt);
  return m ? m[1]! : 'NULL';
}
