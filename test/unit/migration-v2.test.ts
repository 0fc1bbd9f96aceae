// Migration 2 on a file written at version 1: the trigger-kept counters and per-minute series
// are filled from the rows already there, and kept from then on.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Lifecycle } from '../../main/lifecycle';
import { fileAtVersion } from '../helpers/versions';

test('v1 → v2: counts and the per-minute series are filled from the existing rows', () => {
  const file = fileAtVersion(1, (db) => {
    const t = db.prepare(
      `INSERT INTO message_turns (id, accepted_at, updated_at, next_attempt_at, status) VALUES (?, ?, ?, 0, ?)`,
    );
    t.run('a', 60_000, 60_000, 'accepted');
    t.run('b', 60_000, 180_000, 'delivered');
    db.prepare(
      `INSERT INTO message_outbox (id, channel, payload, queued_at, next_attempt_at, status) VALUES ('r', 'x', '{}', 60_000, 0, 'queued')`,
    ).run();
  });
  const lc = Lifecycle.open(file);
  try {
    const s = lc.status();
    assert.equal(s.turns.accepted, 1);
    assert.equal(s.turns.delivered, 1);
    assert.equal(s.outbox.queued, 1);
    const minutes = lc.db
      .prepare(
        "SELECT minute, status, entered, exited FROM lifecycle_minutes WHERE entity = 'turn' ORDER BY minute, status",
      )
      .all();
    assert.deepEqual(minutes, [
      { minute: 1, status: 'accepted', entered: 2, exited: 0 },
      { minute: 3, status: 'accepted', entered: 0, exited: 1 },
      { minute: 3, status: 'delivered', entered: 1, exited: 0 },
    ]);
  } finally {
    lc.close();
  }
});
