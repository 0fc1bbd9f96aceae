// A database as a gateway that knows nothing of Lifecycle Desk writes it: the SPEC's two tables
// and indexes only (user_version 0), filled with plain SQL, with old pending work of every kind.
import Database from 'better-sqlite3';

export const SPEC_TURN_COLUMNS = [
  'id',
  'channel',
  'account_id',
  'external_id',
  'dedupe_key',
  'session_key',
  'payload',
  'route_channel',
  'route_to',
  'route_account_id',
  'route_thread_id',
  'route_reply_to_id',
  'accepted_at',
  'updated_at',
  'status',
  'attempt_count',
  'next_attempt_at',
  'terminal_reason',
  'completed_at',
];
export const SPEC_OUTBOX_COLUMNS = [
  'id',
  'turn_id',
  'channel',
  'account_id',
  'target',
  'dispatch_kind',
  'payload',
  'queued_at',
  'status',
  'attempt_count',
  'next_attempt_at',
  'last_attempt_at',
  'delivered_at',
  'completed_at',
  'last_error',
  'error_class',
  'terminal_reason',
  'idempotency_key',
];

export const GATEWAY_SCHEMA = `
  CREATE TABLE message_turns (
    id TEXT PRIMARY KEY, channel TEXT NOT NULL DEFAULT '', account_id TEXT NOT NULL DEFAULT '', external_id TEXT,
    dedupe_key TEXT, session_key TEXT NOT NULL DEFAULT '', payload TEXT NOT NULL DEFAULT '{}',
    route_channel TEXT NOT NULL DEFAULT '', route_to TEXT NOT NULL DEFAULT '', route_account_id TEXT,
    route_thread_id TEXT, route_reply_to_id TEXT, accepted_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'accepted', attempt_count INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL,
    terminal_reason TEXT, completed_at INTEGER);
  CREATE TABLE message_outbox (
    id TEXT PRIMARY KEY, turn_id TEXT, channel TEXT NOT NULL, account_id TEXT NOT NULL DEFAULT '',
    target TEXT NOT NULL DEFAULT '', dispatch_kind TEXT, payload TEXT NOT NULL, queued_at INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'queued', attempt_count INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL,
    last_attempt_at INTEGER, delivered_at INTEGER, completed_at INTEGER, last_error TEXT, error_class TEXT,
    terminal_reason TEXT, idempotency_key TEXT);
  CREATE INDEX gw_turns_status ON message_turns(status, next_attempt_at, updated_at);
  CREATE INDEX gw_turns_session ON message_turns(session_key, status);
  CREATE INDEX gw_outbox_turn ON message_outbox(turn_id, status) WHERE turn_id IS NOT NULL;
  CREATE INDEX gw_outbox_status ON message_outbox(status, next_attempt_at, queued_at);`;

/**
 * Old pending work that a recovery worker without handlers would change at once: retrying and
 * stale turns, overdue queued rows, pending tool/block rows, terminal turns past retention.
 * `unique`: also the SPEC's unique indexes (a file that can be migrated).
 */
export function writeGatewayFile(file: string, now: number, options: { unique?: boolean; wal?: boolean } = {}): void {
  const db = new Database(file);
  try {
    if (options.wal !== false) db.pragma('journal_mode = WAL');
    db.exec(GATEWAY_SCHEMA);
    if (options.unique !== false) {
      db.exec(`CREATE UNIQUE INDEX gw_turns_dedupe ON message_turns(dedupe_key) WHERE dedupe_key IS NOT NULL;
        CREATE UNIQUE INDEX gw_outbox_idem ON message_outbox(idempotency_key) WHERE idempotency_key IS NOT NULL;`);
    }
    const turn = db.prepare(
      `INSERT INTO message_turns (id, channel, dedupe_key, session_key, payload, route_channel, route_to, accepted_at,
         updated_at, status, attempt_count, next_attempt_at, terminal_reason, completed_at)
       VALUES (?, 'telegram', ?, ?, '{"text":"<b>hi</b>"}', 'telegram', 'chat-1', ?, ?, ?, ?, ?, ?, ?)`,
    );
    const row = db.prepare(
      `INSERT INTO message_outbox (id, turn_id, channel, target, dispatch_kind, payload, queued_at, status, attempt_count,
         next_attempt_at, last_error, completed_at, idempotency_key)
       VALUES (?, ?, 'telegram', 'chat-1', ?, '{"text":"reply"}', ?, ?, ?, ?, ?, ?, ?)`,
    );
    const H = 3_600_000;
    db.transaction(() => {
      for (let i = 0; i < 20; i++) {
        const t = now - 2 * H - i * 60_000;
        turn.run(`retrying-${i}`, `gw:m-r${i}`, `s${i % 5}`, t, t, 'failed_retryable', 1, t, 'model overloaded', null);
        turn.run(`pending-${i}`, `gw:m-p${i}`, `s${i % 5}`, t, t, 'delivery_pending', 0, t, null, null);
        row.run(`final-${i}`, `pending-${i}`, 'final', t, 'queued', 0, t, null, null, `pending-${i}:final`);
        row.run(`tool-${i}`, `pending-${i}`, 'tool', t, 'failed_retryable', 2, t, '502', null, `pending-${i}:tool`);
        const stale = now - 30 * H - i * 60_000;
        turn.run(`stale-${i}`, `gw:m-s${i}`, `s${i % 5}`, stale, stale, 'running', 0, stale, null, null);
        const old = now - 72 * H - i * 60_000;
        turn.run(`old-${i}`, `gw:m-o${i}`, `s${i % 5}`, old, old, 'delivered', 0, old, null, old);
        row.run(`old-final-${i}`, `old-${i}`, 'final', old, 'delivered', 1, old, null, old, `old-${i}:final`);
      }
      // Two messages with one dedupe key: only possible where the gateway made no unique index.
      if (options.unique === false) turn.run('dup-a', 'gw:same', 's0', now, now, 'accepted', 0, now, null, null);
      if (options.unique === false) turn.run('dup-b', 'gw:same', 's0', now, now, 'accepted', 0, now, null, null);
    })();
  } finally {
    db.close();
  }
}

/** Every SPEC column of every row, in id order: what the dashboard must leave as it was. */
export function specSnapshot(file: string): string {
  const db = new Database(file, { readonly: true });
  try {
    const turns = db.prepare(`SELECT ${SPEC_TURN_COLUMNS.join(', ')} FROM message_turns ORDER BY id`).all();
    const rows = db.prepare(`SELECT ${SPEC_OUTBOX_COLUMNS.join(', ')} FROM message_outbox ORDER BY id`).all();
    return JSON.stringify({ turns, rows });
  } finally {
    db.close();
  }
}
