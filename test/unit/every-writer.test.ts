// Transitions written by any process appear in the timeline, and the dashboard's counts stay
// exact, also for a gateway that updates rows with plain SQL and writes INSERT OR REPLACE (with
// and without recursive_triggers). Our own transitions are recorded once, with their actor.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import type { Lifecycle } from '../../main/lifecycle';
import { ROUTE, openTemp } from '../helpers/temp-db';

function exactCounts(lc: Lifecycle, label: string): void {
  const s = lc.status();
  const kept: Record<string, number> = {};
  for (const [k, v] of Object.entries({ ...s.turns, ...s.otherTurns })) if (v !== 0) kept[`turn:${k}`] = v;
  for (const [k, v] of Object.entries({ ...s.outbox, ...s.otherOutbox })) if (v !== 0) kept[`outbox:${k}`] = v;
  const actual: Record<string, number> = {};
  for (const [table, entity] of [
    ['message_turns', 'turn'],
    ['message_outbox', 'outbox'],
  ] as const) {
    for (const r of lc.db.prepare(`SELECT status, count(*) AS n FROM ${table} GROUP BY status`).all() as {
      status: string;
      n: number;
    }[]) {
      actual[`${entity}:${r.status}`] = r.n;
    }
  }
  assert.deepEqual(kept, actual, `counts after ${label}`);
}

for (const recursive of [false, true]) {
  test(`plain-SQL writes of a gateway (recursive_triggers ${recursive ? 'on' : 'off'}): in the timeline, counts exact after every batch`, () => {
    const { lc, file } = openTemp();
    const gw = new Database(file);
    gw.pragma('busy_timeout = 5000');
    if (recursive) gw.pragma('recursive_triggers = ON');
    try {
      const ins = gw.prepare(
        `INSERT INTO message_turns (id, dedupe_key, session_key, accepted_at, updated_at, next_attempt_at, status)
         VALUES (?, ?, 's', 1000, 1000, 1000, ?)`,
      );
      const batches: [string, () => void][] = [
        ['inserts', () => ['a', 'b', 'c'].forEach((id) => ins.run(id, `k-${id}`, 'accepted'))],
        ['an update', () => gw.prepare("UPDATE message_turns SET status = 'running' WHERE id = 'a'").run()],
        [
          'INSERT OR REPLACE of a row by id',
          () =>
            gw
              .prepare(
                `INSERT OR REPLACE INTO message_turns (id, dedupe_key, accepted_at, updated_at, next_attempt_at, status)
                        VALUES ('a', 'k-a', 1, 2, 3, 'delivered')`,
              )
              .run(),
        ],
        [
          'INSERT OR REPLACE that collides on the dedupe key of another row',
          () =>
            gw
              .prepare(
                `INSERT OR REPLACE INTO message_turns (id, dedupe_key, accepted_at, updated_at, next_attempt_at, status)
                        VALUES ('b2', 'k-b', 1, 2, 3, 'failed_terminal')`,
              )
              .run(),
        ],
        [
          'INSERT OR IGNORE of an existing row',
          () =>
            gw
              .prepare(
                `INSERT OR IGNORE INTO message_turns (id, accepted_at, updated_at, next_attempt_at, status) VALUES ('c', 1, 1, 1, 'running')`,
              )
              .run(),
        ],
        ['an insert after the ignored one', () => ins.run('d', 'k-d', 'accepted')],
        [
          'a status outside the SPEC',
          () => gw.prepare("UPDATE message_turns SET status = 'pending' WHERE id = 'c'").run(),
        ],
        [
          'outbox REPLACE on the idempotency key',
          () => {
            gw.prepare(
              `INSERT INTO message_outbox (id, turn_id, channel, payload, queued_at, next_attempt_at, idempotency_key)
                        VALUES ('r1', 'a', 'telegram', '{}', 1, 1, 'a:final')`,
            ).run();
            gw.prepare(
              `INSERT OR REPLACE INTO message_outbox (id, turn_id, channel, payload, queued_at, next_attempt_at, idempotency_key, status)
                        VALUES ('r2', 'a', 'telegram', '{}', 1, 1, 'a:final', 'delivered')`,
            ).run();
          },
        ],
        ['a delete', () => gw.prepare("DELETE FROM message_turns WHERE id = 'b2'").run()],
      ];
      for (const [label, write] of batches) {
        gw.transaction(write)();
        exactCounts(lc, label);
      }
      assert.deepEqual(lc.status().otherTurns, { pending: 1 }, 'a status outside the SPEC is shown as such');

      const timeline = (id: string): string[] =>
        lc.history(id).map((h) => `${h.fromStatus ?? '∅'}→${h.toStatus} ${h.actor}${h.by === null ? '' : ` ${h.by}`}`);
      // A plain-SQL writer's entries say `gateway` with nobody named; a REPLACE says what it replaced.
      assert.deepEqual(timeline('a'), [
        '∅→accepted gateway',
        'accepted→running gateway',
        'running→delivered gateway',
        '∅→queued gateway',
        '∅→delivered gateway',
      ]);
      const reasons = lc.history('a').map((h) => h.reason);
      assert.equal(reasons[2], 'INSERT OR REPLACE over a (running)');
      assert.equal(reasons[4], 'INSERT OR REPLACE over r1 (queued)');
      assert.deepEqual(timeline('b2'), ['∅→failed_terminal gateway']);
      assert.equal(lc.history('b2')[0]!.reason, 'INSERT OR REPLACE over b (accepted)');
      assert.deepEqual(timeline('c'), ['∅→accepted gateway', 'accepted→pending gateway']);
    } finally {
      gw.close();
      lc.close();
    }
  });
}

test('our own transitions are recorded once, with their actor and who; a gateway write between them too', () => {
  const { lc, file } = openTemp({ owner: 'gw-core' });
  const gw = new Database(file);
  try {
    const turn = lc.accept({ channel: 'telegram', sessionKey: 's', payload: {}, route: ROUTE }).turn.id;
    lc.markRunning(turn);
    const row = lc.enqueue({ turnId: turn, channel: 'telegram', dispatchKind: 'final', payload: {} }).row.id;
    gw.prepare("UPDATE message_outbox SET status = 'failed_retryable', last_error = '429' WHERE id = ?").run(row);
    lc.ack(row);
    lc.finalize(turn);
    const entries = lc.history(turn).map((h) => [h.kind, h.fromStatus, h.toStatus, h.actor, h.by, h.reason]);
    assert.deepEqual(entries, [
      ['turn', null, 'accepted', 'gateway', 'gw-core', null],
      ['turn', 'accepted', 'running', 'gateway', 'gw-core', null],
      ['outbox', null, 'queued', 'gateway', 'gw-core', null],
      ['turn', 'running', 'delivery_pending', 'gateway', 'gw-core', 'final reply queued'],
      ['outbox', 'queued', 'failed_retryable', 'gateway', null, '429'],
      ['outbox', 'failed_retryable', 'delivered', 'gateway', 'gw-core', null],
      ['turn', 'delivery_pending', 'delivered', 'gateway', 'gw-core', null],
    ]);
  } finally {
    gw.close();
    lc.close();
  }
});
