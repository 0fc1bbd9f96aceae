// Migration 4's write-path part on a file written at version 3: the merged triggers keep what
// version 3's did — counts and per-minute series exact, every status change in the timeline, a
// REPLACE settled — for our core and for a gateway's plain SQL; applying it twice changes nothing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { Lifecycle, SCHEMA_VERSION } from '../../main/lifecycle';
import { applyV4Writes } from '../../main/lifecycle/migrations/v4-writes';
import { fileAtVersion } from '../helpers/versions';
import { ROUTE } from '../helpers/temp-db';

/** The same plain-SQL writes, on a file at version 3 and on one migrated to 4: equal effects. */
function gatewayWrites(db: Database.Database): void {
  const ins = db.prepare(
    `INSERT INTO message_turns (id, session_key, accepted_at, updated_at, next_attempt_at, status)
     VALUES (?, 's', 60000, 60000, 60000, 'accepted')`,
  );
  ins.run('a');
  ins.run('b');
  db.prepare("UPDATE message_turns SET status = 'running', updated_at = 120000 WHERE id = 'a'").run();
  db.prepare(
    `INSERT INTO message_outbox (id, turn_id, channel, payload, queued_at, next_attempt_at) VALUES ('r', 'a', 'telegram', '{}', 120000, 120000)`,
  ).run();
  db.prepare("UPDATE message_outbox SET status = 'delivered', completed_at = 180000 WHERE id = 'r'").run();
  db.prepare(
    `INSERT OR REPLACE INTO message_turns (id, session_key, accepted_at, updated_at, next_attempt_at, status)
     VALUES ('b', 's', 60000, 240000, 60000, 'delivered')`,
  ).run();
  db.prepare(
    `INSERT OR IGNORE INTO message_turns (id, session_key, accepted_at, updated_at, next_attempt_at) VALUES ('a', 's', 1, 1, 1)`,
  ).run();
  ins.run('c');
}

function effects(db: Database.Database): unknown {
  return {
    counts: db.prepare('SELECT entity, status, n FROM lifecycle_counts WHERE n <> 0 ORDER BY 1, 2').all(),
    minutes: db
      .prepare(
        'SELECT entity, minute, status, entered, exited FROM lifecycle_minutes WHERE entered + exited > 0 ORDER BY 1, 2, 3',
      )
      .all(),
    history: db
      .prepare(
        'SELECT kind, entity_id, subject_id, from_status, to_status, actor, reason FROM message_history ORDER BY id',
      )
      .all(),
  };
}

test('v3 → v4 (write triggers): plain-SQL writes have the same counts, minutes and timeline as under v3', () => {
  const atV3 = fileAtVersion(3, gatewayWrites);
  const v3 = new Database(atV3, { readonly: true });
  const expected = effects(v3);
  v3.close();

  const migrated = fileAtVersion(3, () => {});
  Lifecycle.open(migrated).close();
  const db = new Database(migrated);
  try {
    assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    gatewayWrites(db);
    assert.deepEqual(effects(db), expected);
    // Idempotent: applying it again leaves the same triggers doing the same.
    const triggers = db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name").all();
    applyV4Writes(db);
    assert.deepEqual(
      db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name").all(),
      triggers,
    );
  } finally {
    db.close();
  }
});

test('v4: the core’s own turn is in the timeline once per status change, with its actor and reason', () => {
  const file = fileAtVersion(3, () => {});
  const lc = Lifecycle.open(file);
  try {
    const { turn } = lc.accept({ channel: 'telegram', sessionKey: 's', payload: {}, route: ROUTE });
    lc.markRunning(turn.id);
    const { row } = lc.enqueue({ turnId: turn.id, channel: 'telegram', dispatchKind: 'final', payload: {} });
    lc.beginSend(row.id);
    lc.ack(row.id);
    lc.finalize(turn.id);
    assert.deepEqual(
      lc.history(turn.id).map((h) => [h.kind, h.fromStatus, h.toStatus, h.actor, h.reason, h.by]),
      [
        ['turn', null, 'accepted', 'gateway', null, lc.core.owner],
        ['turn', 'accepted', 'running', 'gateway', null, lc.core.owner],
        ['outbox', null, 'queued', 'gateway', null, lc.core.owner],
        ['turn', 'running', 'delivery_pending', 'gateway', 'final reply queued', lc.core.owner],
        ['outbox', 'queued', 'delivered', 'gateway', null, lc.core.owner],
        ['turn', 'delivery_pending', 'delivered', 'gateway', null, lc.core.owner],
      ],
    );
    const s = lc.status();
    assert.equal(s.turns.delivered, 1);
    assert.equal(s.outbox.delivered, 1);
  } finally {
    lc.close();
  }
});
