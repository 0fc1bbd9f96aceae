// Migration 4 on a file written at version 3: the lists' ordered indexes (kind, channel,
// session alone) appear, and a v3 file's rows page the same before and after.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Lifecycle, SCHEMA_VERSION } from '../../main/lifecycle';
import { V4_INDEXES } from '../../main/lifecycle/migrations/v4';
import { fileAtVersion } from '../helpers/versions';

test('v3 → v4: the lists get their ordered indexes; rows and counts kept', () => {
  const file = fileAtVersion(3, (db) => {
    const turn = db.prepare(
      `INSERT INTO message_turns (id, channel, session_key, accepted_at, updated_at, next_attempt_at, status)
       VALUES (?, ?, 's', ?, ?, ?, 'delivered')`,
    );
    const row = db.prepare(
      `INSERT INTO message_outbox (id, turn_id, channel, dispatch_kind, payload, queued_at, next_attempt_at, status)
       VALUES (?, ?, ?, 'final', '{}', ?, ?, 'delivered')`,
    );
    for (let i = 0; i < 30; i++) {
      turn.run(`t${i}`, i % 2 ? 'slack' : 'discord', i, i, i);
      row.run(`r${i}`, `t${i}`, i % 2 ? 'slack' : 'discord', i, i);
    }
  });
  const lc = Lifecycle.open(file);
  try {
    assert.equal(lc.db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    const indexes = new Map(
      (
        lc.db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index'").all() as {
          name: string;
          sql: string;
        }[]
      ).map((r) => [r.name, r.sql]),
    );
    for (const [name, on] of Object.entries(V4_INDEXES)) {
      assert.ok(indexes.get(name)?.includes(on), `${name} ON ${on}`);
    }
    assert.equal(lc.status().turns.delivered, 30);
    assert.deepEqual(
      lc.listOutbox({ kind: 'final', order: 'desc', limit: 3 }).items.map((r) => r.id),
      ['r29', 'r28', 'r27'],
    );
    assert.deepEqual(
      lc.listTurns({ channel: 'slack', limit: 3 }).items.map((t) => t.id),
      ['t1', 't3', 't5'],
    );
  } finally {
    lc.close();
  }
});
