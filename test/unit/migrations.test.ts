// Schema and migrations (SPEC, "Storage"): user_version, forward migrations in one transaction,
// adoption of the files gateways wrote before versioning, and the fixed table/column names.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { Lifecycle, LifecycleError, SCHEMA_VERSION } from '../../main/lifecycle';
import { SPEC_OUTBOX_COLUMNS, SPEC_TURN_COLUMNS } from '../helpers/gateway-file';
import { openTemp, tempDir } from '../helpers/temp-db';

function columns(db: Database.Database, table: string): string[] {
  return (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name);
}

interface IndexInfo {
  name: string;
  unique: number;
  partial: number;
}
function indexColumns(
  db: Database.Database,
  table: string,
): { name: string; unique: boolean; partial: boolean; cols: string[] }[] {
  return (db.prepare(`PRAGMA index_list(${table})`).all() as IndexInfo[]).map((i) => ({
    name: i.name,
    unique: i.unique === 1,
    partial: i.partial === 1,
    cols: (db.prepare(`PRAGMA index_info(${JSON.stringify(i.name)})`).all() as { name: string }[]).map((c) => c.name),
  }));
}

/** A gateway's file from before versioning: the SPEC's tables, some columns missing, real rows. */
function writeGatewayFile(file: string, options: { duplicateDedupe?: boolean } = {}): void {
  const db = new Database(file);
  db.exec(`
    CREATE TABLE message_turns (
      id TEXT PRIMARY KEY, channel TEXT NOT NULL DEFAULT '', account_id TEXT NOT NULL DEFAULT '',
      external_id TEXT, dedupe_key TEXT, session_key TEXT NOT NULL DEFAULT '', payload TEXT NOT NULL DEFAULT '{}',
      route_channel TEXT NOT NULL DEFAULT '', route_to TEXT NOT NULL DEFAULT '',
      accepted_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, status TEXT NOT NULL DEFAULT 'accepted',
      attempt_count INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL
    );
    CREATE TABLE message_outbox (
      id TEXT PRIMARY KEY, turn_id TEXT, channel TEXT NOT NULL, account_id TEXT NOT NULL DEFAULT '',
      target TEXT NOT NULL DEFAULT '', dispatch_kind TEXT, payload TEXT NOT NULL, queued_at INTEGER NOT NULL,
      status TEXT NOT NULL DEFAULT 'queued', attempt_count INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL,
      last_attempt_at INTEGER, delivered_at INTEGER, last_error TEXT
    );
    CREATE INDEX gw_outbox_turn ON message_outbox(turn_id);
  `);
  const turn = db.prepare(
    `INSERT INTO message_turns (id, channel, account_id, dedupe_key, session_key, payload, route_channel, route_to,
       accepted_at, updated_at, status, attempt_count, next_attempt_at) VALUES (?, 'telegram', 'bot', ?, ?, ?, 'telegram', 'chat-9', ?, ?, ?, ?, ?)`,
  );
  turn.run('gw-t1', 'tg:bot:chat-9:100', 'sess-9', '{"text":"one"}', 1000, 2000, 'delivered', 0, 1000);
  turn.run('gw-t2', 'tg:bot:chat-9:101', 'sess-9', '{"text":"two"}', 3000, 3000, 'running', 1, 3000);
  turn.run(
    'gw-t3',
    options.duplicateDedupe ? 'tg:bot:chat-9:101' : 'tg:bot:chat-9:102',
    'sess-9',
    '{"text":"three"}',
    4000,
    4000,
    'accepted',
    0,
    4000,
  );
  const row = db.prepare(
    `INSERT INTO message_outbox (id, turn_id, channel, target, dispatch_kind, payload, queued_at, status, attempt_count,
       next_attempt_at, delivered_at, last_error) VALUES (?, ?, 'telegram', 'chat-9', ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  row.run('gw-o1', 'gw-t1', 'final', '{"text":"answer one"}', 1500, 'delivered', 1, 1500, 1600, null);
  row.run('gw-o2', 'gw-t2', 'tool', '{"text":"thinking"}', 3100, 'failed_retryable', 2, 9000, null, 'HTTP 502');
  row.run('gw-o3', null, null, '{"text":"direct"}', 3200, 'queued', 0, 3200, null, null);
  db.close();
}

test('a new file has the SPEC tables, columns and indexes at the current version', () => {
  const { lc } = openTemp();
  try {
    for (const c of SPEC_TURN_COLUMNS) assert.ok(columns(lc.db, 'message_turns').includes(c), `message_turns.${c}`);
    for (const c of SPEC_OUTBOX_COLUMNS) assert.ok(columns(lc.db, 'message_outbox').includes(c), `message_outbox.${c}`);
    const turnIdx = indexColumns(lc.db, 'message_turns');
    assert.ok(
      turnIdx.some((i) => i.unique && i.partial && i.cols.join() === 'dedupe_key'),
      'unique partial dedupe_key',
    );
    assert.ok(
      turnIdx.some((i) => i.cols.join().startsWith('status,next_attempt_at,updated_at')),
      '(status, next_attempt_at, updated_at)',
    );
    assert.ok(
      turnIdx.some((i) => i.cols.join().startsWith('session_key,status')),
      '(session_key, status)',
    );
    const rowIdx = indexColumns(lc.db, 'message_outbox');
    assert.ok(
      rowIdx.some((i) => i.unique && i.partial && i.cols.join() === 'idempotency_key'),
      'unique partial idempotency_key',
    );
    assert.ok(
      rowIdx.some((i) => i.partial && i.cols.join().startsWith('turn_id,status')),
      '(turn_id, status) partial',
    );
    assert.ok(
      rowIdx.some((i) => i.cols.join().startsWith('status,next_attempt_at,queued_at')),
      '(status, next_attempt_at, queued_at)',
    );
    assert.equal(lc.db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  } finally {
    lc.close();
  }
});

test('columns we add are nullable or defaulted: a gateway insert naming only the SPEC columns works', () => {
  const { lc, file } = openTemp();
  lc.close();
  const gw = new Database(file);
  try {
    gw.prepare(
      `INSERT INTO message_turns (id, accepted_at, updated_at, next_attempt_at) VALUES ('raw-t', 1, 1, 1)`,
    ).run();
    gw.prepare(
      `INSERT INTO message_outbox (id, channel, payload, queued_at, next_attempt_at) VALUES ('raw-o', 'slack', '{}', 1, 1)`,
    ).run();
    const t = gw.prepare('SELECT status, attempt_count, session_key FROM message_turns WHERE id = ?').get('raw-t');
    assert.deepEqual(t, { status: 'accepted', attempt_count: 0, session_key: '' });
    const o = gw.prepare('SELECT status, attempt_count FROM message_outbox WHERE id = ?').get('raw-o');
    assert.deepEqual(o, { status: 'queued', attempt_count: 0 });
  } finally {
    gw.close();
  }
});

test('a user_version-0 gateway file is adopted: rows survive, missing columns added, version becomes current', () => {
  const file = path.join(tempDir(), 'message-lifecycle.db');
  writeGatewayFile(file);
  const before = new Database(file, { readonly: true });
  const turnsBefore = before.prepare('SELECT * FROM message_turns ORDER BY id').all() as Record<string, unknown>[];
  const rowsBefore = before.prepare('SELECT * FROM message_outbox ORDER BY id').all() as Record<string, unknown>[];
  assert.equal(before.pragma('user_version', { simple: true }), 0);
  assert.ok(!columns(before, 'message_turns').includes('terminal_reason'));
  before.close();

  const lc = Lifecycle.open(file);
  try {
    assert.equal(lc.db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    for (const c of SPEC_TURN_COLUMNS)
      assert.ok(columns(lc.db, 'message_turns').includes(c), `added message_turns.${c}`);
    for (const c of SPEC_OUTBOX_COLUMNS)
      assert.ok(columns(lc.db, 'message_outbox').includes(c), `added message_outbox.${c}`);
    // Every original value is still there, unchanged.
    const turnsAfter = lc.db.prepare('SELECT * FROM message_turns ORDER BY id').all() as Record<string, unknown>[];
    const rowsAfter = lc.db.prepare('SELECT * FROM message_outbox ORDER BY id').all() as Record<string, unknown>[];
    assert.equal(turnsAfter.length, turnsBefore.length);
    assert.equal(rowsAfter.length, rowsBefore.length);
    turnsBefore.forEach((t, i) => {
      for (const [k, v] of Object.entries(t)) assert.equal(turnsAfter[i]![k], v, `turn ${String(t.id)}.${k}`);
    });
    rowsBefore.forEach((r, i) => {
      for (const [k, v] of Object.entries(r)) assert.equal(rowsAfter[i]![k], v, `row ${String(r.id)}.${k}`);
    });
    // The gateway's own index is kept; ours are added.
    assert.ok(indexColumns(lc.db, 'message_outbox').some((i) => i.name === 'gw_outbox_turn'));
    assert.ok(indexColumns(lc.db, 'message_turns').some((i) => i.unique && i.cols.join() === 'dedupe_key'));
    // Counters start from the adopted rows.
    const s = lc.status();
    assert.equal(s.turns.delivered, 1);
    assert.equal(s.turns.running, 1);
    assert.equal(s.turns.accepted, 1);
    assert.equal(s.outbox.delivered, 1);
    assert.equal(s.outbox.failed_retryable, 1);
    assert.equal(s.outbox.queued, 1);
    // Adopted rows work with the core: dedupe applies to the gateway's keys.
    const dup = lc.accept({
      channel: 'telegram',
      dedupeKey: 'tg:bot:chat-9:100',
      sessionKey: 'sess-9',
      payload: {},
      route: { channel: 'telegram', to: 'chat-9' },
    });
    assert.equal(dup.outcome, 'duplicate');
    assert.equal(dup.turn.id, 'gw-t1');
    assert.equal(lc.abortSession('sess-9').turns, 2);
  } finally {
    lc.close();
  }
});

test('opening a current file again changes nothing', () => {
  const { lc, file, clock } = openTemp();
  const { turn } = lc.accept({ channel: 'c', sessionKey: 's', payload: { a: 1 }, route: { channel: 'c', to: 't' } });
  lc.close();
  const again = Lifecycle.open(file, { now: () => clock.t });
  try {
    assert.equal(again.db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    assert.deepEqual(again.getTurn(turn.id), turn);
    assert.equal(again.status().turns.accepted, 1, 'counters are not rebuilt or doubled on reopen');
  } finally {
    again.close();
  }
});

test('a migration that fails is rolled back as a whole: migration_failed, version and data unchanged', () => {
  // Two turns with the same dedupe key: the unique index of the SPEC cannot be built.
  const file = path.join(tempDir(), 'message-lifecycle.db');
  writeGatewayFile(file, { duplicateDedupe: true });
  const snapshot = (): unknown => {
    const db = new Database(file, { readonly: true });
    try {
      return {
        version: db.pragma('user_version', { simple: true }),
        turnCols: columns(db, 'message_turns'),
        rowCols: columns(db, 'message_outbox'),
        turns: db.prepare('SELECT * FROM message_turns ORDER BY id').all(),
        rows: db.prepare('SELECT * FROM message_outbox ORDER BY id').all(),
        tables: db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all(),
      };
    } finally {
      db.close();
    }
  };
  const before = snapshot();
  assert.throws(
    () => Lifecycle.open(file),
    (err: unknown) =>
      err instanceof LifecycleError && err.code === 'migration_failed' && /nothing was changed/.test(err.message),
  );
  assert.deepEqual(snapshot(), before);
});
