// Migration 3 on a file written at version 2: counts skewed by an earlier INSERT OR REPLACE are
// rebuilt, the timeline of every writer and the REPLACE bookkeeping start, heartbeats get their
// table; nothing already there is lost.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { Lifecycle, SCHEMA_VERSION } from '../../main/lifecycle';
import { fileAtVersion } from '../helpers/versions';

test('v2 → v3: skewed counts rebuilt, history kept, every writer in the timeline from then on', () => {
  const file = fileAtVersion(2, (db) => {
    db.prepare(`INSERT INTO message_turns (id, accepted_at, updated_at, next_attempt_at) VALUES ('a', 1, 1, 1)`).run();
    // Version 2's triggers miss the replaced row: the counts say 2 turns, there is 1.
    db.prepare(
      `INSERT OR REPLACE INTO message_turns (id, accepted_at, updated_at, next_attempt_at, status) VALUES ('a', 1, 1, 1, 'running')`,
    ).run();
    db.prepare(
      `INSERT INTO message_history (kind, entity_id, subject_id, to_status, actor, reason, at) VALUES ('turn', 'a', 'a', 'accepted', 'gateway', 'from v2', 1)`,
    ).run();
    const kept = db.prepare("SELECT sum(n) AS n FROM lifecycle_counts WHERE entity = 'turn'").get() as { n: number };
    assert.equal(kept.n, 2, 'the skew this migration repairs');
  });
  const lc = Lifecycle.open(file);
  const gw = new Database(file);
  try {
    assert.equal(lc.db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    assert.equal(lc.status().turns.running, 1);
    assert.equal(lc.status().turns.accepted, 0);
    assert.deepEqual(
      lc.history('a').map((h) => h.reason),
      ['from v2'],
    );
    gw.prepare("UPDATE message_turns SET status = 'delivered' WHERE id = 'a'").run();
    assert.deepEqual(
      lc.history('a').map((h) => [h.fromStatus, h.toStatus, h.actor, h.by]),
      [
        [null, 'accepted', 'gateway', null],
        ['running', 'delivered', 'gateway', null],
      ],
    );
    const tables = (
      lc.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]
    ).map((r) => r.name);
    assert.ok(tables.includes('lifecycle_workers') && tables.includes('lifecycle_replaced'));
  } finally {
    gw.close();
    lc.close();
  }
});
