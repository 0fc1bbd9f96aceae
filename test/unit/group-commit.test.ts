// Group commit: concurrent callers share one transaction, each hears of its write only after the
// commit, and one caller's failure rolls back only its own part — the batch runs without a
// savepoint per caller, so a failure must undo the whole batch and run it again caller by caller.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import type { Lifecycle } from '../../main/lifecycle';
import { ROUTE, openTemp } from '../helpers/temp-db';

function accept(lc: Lifecycle, n: number): string {
  return lc.accept({ channel: 'telegram', sessionKey: `s${n}`, dedupeKey: `d${n}`, payload: { n }, route: ROUTE }).turn
    .id;
}

test('a caller that fails after writing loses its writes; the others of its batch commit', async () => {
  const { lc, file } = openTemp();
  let half: string | undefined;
  const results = await Promise.allSettled([
    lc.commit(() => accept(lc, 1)),
    lc.commit(() => {
      half = accept(lc, 2);
      lc.markRunning(half);
      throw new Error('gateway crashed mid-call');
    }),
    lc.commit(() => {
      const id = accept(lc, 3);
      lc.markRunning(id);
      return id;
    }),
  ]);
  assert.equal(results[0].status, 'fulfilled');
  assert.equal(results[1].status, 'rejected');
  assert.match(String((results[1] as PromiseRejectedResult).reason), /gateway crashed mid-call/);
  assert.equal(results[2].status, 'fulfilled');
  const [first, third] = [results[0], results[2]].map((r) => (r as PromiseFulfilledResult<string>).value);
  lc.close();

  // What another connection sees is what was committed.
  const db = new Database(file, { readonly: true });
  const turns = db.prepare('SELECT id, dedupe_key AS d, status FROM message_turns ORDER BY dedupe_key').all();
  assert.deepEqual(turns, [
    { id: first, d: 'd1', status: 'accepted' },
    { id: third, d: 'd3', status: 'running' },
  ]);
  assert.ok(half !== undefined);
  assert.equal(
    (db.prepare('SELECT count(*) AS n FROM message_history WHERE subject_id = ?').get(half) as { n: number }).n,
    0,
    'the failed caller left no timeline entry',
  );
  // Counts kept by the triggers were rolled back with it.
  assert.deepEqual(
    db.prepare("SELECT status, n FROM lifecycle_counts WHERE entity = 'turn' AND n > 0 ORDER BY status").all(),
    [
      { status: 'accepted', n: 1 },
      { status: 'running', n: 1 },
    ],
  );
  // The survivors' timelines are whole, each entry once, with its actor.
  const entries = db
    .prepare('SELECT subject_id AS s, to_status AS "to", actor FROM message_history ORDER BY id')
    .all() as { s: string; to: string; actor: string }[];
  assert.deepEqual(
    entries.map((e) => [e.s === first ? 1 : e.s === third ? 3 : 0, e.to, e.actor]),
    [
      [1, 'accepted', 'gateway'],
      [3, 'accepted', 'gateway'],
      [3, 'running', 'gateway'],
    ],
  );
  db.close();
});

test('a caller refused by the core (nothing written) does not disturb the others', async () => {
  const { lc } = openTemp();
  const id = accept(lc, 1);
  const results = await Promise.allSettled([
    lc.commit(() => lc.markRunning(id)),
    lc.commit(() => lc.enqueue({ turnId: 'no-such-turn', channel: 'telegram', payload: {} })),
    lc.commit(() => lc.enqueue({ turnId: id, channel: 'telegram', dispatchKind: 'final', payload: { text: 'hi' } })),
  ]);
  assert.deepEqual(
    results.map((r) => r.status),
    ['fulfilled', 'rejected', 'fulfilled'],
  );
  assert.equal((results[1] as PromiseRejectedResult).reason.code, 'not_found');
  assert.equal(lc.getTurn(id)?.status, 'delivery_pending');
  assert.deepEqual(
    lc.history(id).map((h) => h.toStatus),
    ['accepted', 'running', 'queued', 'delivery_pending'],
  );
  lc.close();
});

test('a batch with no failure is one commit; every caller resolves after it', async () => {
  const { lc, file } = openTemp();
  const other = new Database(file, { readonly: true });
  const seen: number[] = [];
  const calls = Array.from({ length: 20 }, (_, n) =>
    lc
      .commit(() => accept(lc, n))
      .then(() => {
        // Resolved only once committed: another connection already sees every turn of the batch.
        seen.push((other.prepare('SELECT count(*) AS n FROM message_turns').get() as { n: number }).n);
      }),
  );
  await Promise.all(calls);
  assert.deepEqual(seen, Array(20).fill(20));
  other.close();
  lc.close();
});
