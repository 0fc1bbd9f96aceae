// The recovery worker's maintenance on SQLite works in small transactions with the write lock
// free in between (main/store/sqlite/pacer.ts): another connection can write between two
// batches of one prune or one expiry, each call still does all of its bounded per-pass batch,
// and the counters stay right.
import assert from 'node:assert/strict';
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { SqliteStore } from '../../main/store/sqlite/store';
import { BATCH_ROWS } from '../../main/store/sqlite/pacer';
import { ROUTE, makeClock, tempDir } from '../helpers/temp-db';

const HOUR = 3_600_000;

/**
 * Runs `work` while another connection to `file` tries, between the event loop's turns, to
 * take the write lock without waiting (busy_timeout 0); what `probe` counted each time it got
 * it (e.g. how many turns were left to prune at that moment).
 */
async function writesBeside(file: string, work: Promise<unknown>, probe: string): Promise<number[]> {
  const other = new Database(file, { timeout: 0 });
  let done = false;
  const seen: number[] = [];
  void work.finally(() => (done = true));
  try {
    while (!done) {
      try {
        other.exec('BEGIN IMMEDIATE');
        seen.push((other.prepare(probe).get() as { n: number }).n);
        other.exec('COMMIT');
      } catch (err) {
        if ((err as { code?: string }).code !== 'SQLITE_BUSY') throw err;
      }
      await nextTurn();
    }
    await work;
    return seen;
  } finally {
    other.close();
  }
}

/** Some write of the other connection came while part of the work was done, and part not. */
function between(seen: number[], before: number): boolean {
  return seen.some((n) => n > 0 && n < before);
}

function open(): { store: SqliteStore; file: string; clock: ReturnType<typeof makeClock> } {
  const clock = makeClock();
  const file = path.join(tempDir(), 'message-lifecycle.db');
  return { store: SqliteStore.open(file, { now: () => clock.t }), file, clock };
}

/** `n` delivered turns with one delivered final row each, written in one transaction. */
function delivered(store: SqliteStore, n: number): void {
  const lc = store.lc;
  lc.db.transaction(() => {
    for (let i = 0; i < n; i++) {
      const { turn } = lc.accept({ channel: 'telegram', sessionKey: `s${i % 7}`, payload: { i }, route: ROUTE });
      lc.markRunning(turn.id);
      const { row } = lc.enqueue({
        turnId: turn.id,
        channel: 'telegram',
        target: 'c',
        dispatchKind: 'final',
        payload: {},
      });
      lc.beginSend(row.id);
      lc.ack(row.id);
      lc.finalize(turn.id);
    }
  })();
}

test('a prune of several batches leaves the write lock free between them, and prunes them all', async () => {
  const { store, file, clock } = open();
  try {
    const n = 3 * BATCH_ROWS + 7;
    delivered(store, n);
    clock.advance(49 * HOUR);
    const prune = store.recovery.prune();
    const seen = await writesBeside(file, prune, 'SELECT count(*) AS n FROM message_turns');
    assert.deepEqual(await prune, { turns: n, outbox: n, history: (await prune).history });
    assert.ok(between(seen, n), `another connection wrote between two batches (turns left: ${seen.join(', ')})`);
    const s = await store.status();
    assert.equal(s.turns.delivered, 0);
    assert.equal(s.outbox.delivered, 0);
    assert.equal((store.lc.db.prepare('SELECT count(*) AS n FROM message_history').get() as { n: number }).n, 0);
  } finally {
    await store.close();
  }
});

test("an operator's prune now runs in the same paced batches, prunes past maintenanceBatch, and audits once", async () => {
  const clock = makeClock();
  const file = path.join(tempDir(), 'message-lifecycle.db');
  // A small per-pass batch, so that "everything now" is more than one of them.
  const store = SqliteStore.open(file, { now: () => clock.t, config: { maintenanceBatch: BATCH_ROWS } });
  try {
    const n = 3 * BATCH_ROWS + 7;
    delivered(store, n);
    clock.advance(49 * HOUR);
    const prune = store.operatorPrune('desk:test');
    const seen = await writesBeside(file, prune, 'SELECT count(*) AS n FROM message_turns');
    const total = await prune;
    assert.equal(total.turns, n);
    assert.equal(total.outbox, n);
    assert.ok(between(seen, n), `another connection wrote between two batches (turns left: ${seen.join(', ')})`);
    const audit = store.lc.db
      .prepare(`SELECT reason, actor_name AS who FROM message_history WHERE actor = 'operator'`)
      .all() as { reason: string; who: string }[];
    assert.deepEqual(audit, [{ reason: `pruned ${n} turns and ${n} outbox rows`, who: 'desk:test' }]);
  } finally {
    await store.close();
  }
});

test('a pass prunes no more than maintenanceBatch, in transactions of BATCH_ROWS', async () => {
  const clock = makeClock();
  const file = path.join(tempDir(), 'message-lifecycle.db');
  const maintenanceBatch = 2 * BATCH_ROWS + 5;
  const store = SqliteStore.open(file, { now: () => clock.t, config: { maintenanceBatch } });
  try {
    delivered(store, 3 * BATCH_ROWS);
    clock.advance(49 * HOUR);
    const first = await store.recovery.prune();
    assert.equal(first.turns, maintenanceBatch);
    const second = await store.recovery.prune();
    assert.equal(second.turns, 3 * BATCH_ROWS - maintenanceBatch);
    assert.equal((await store.recovery.prune()).turns, 0);
  } finally {
    await store.close();
  }
});

test('an expiry of several batches leaves the write lock free between them, and expires them all', async () => {
  const { store, file, clock } = open();
  try {
    const n = 2 * BATCH_ROWS + 3;
    const lc = store.lc;
    lc.db.transaction(() => {
      for (let i = 0; i < n; i++) {
        const { turn } = lc.accept({ channel: 'telegram', sessionKey: `s${i}`, payload: {}, route: ROUTE });
        lc.markRunning(turn.id);
        lc.enqueue({ turnId: turn.id, channel: 'telegram', target: 'c', dispatchKind: 'final', payload: {} });
      }
    })();
    clock.advance(25 * HOUR); // past the rows' max age and the turns' max recovery age
    const expire = store.recovery.expire();
    const seen = await writesBeside(file, expire, "SELECT count(*) AS n FROM message_outbox WHERE status = 'queued'");
    assert.deepEqual(await expire, { expiredRows: n, lastChanceRows: 0, staleTurns: n });
    assert.ok(between(seen, n), `another connection wrote between two batches (rows left: ${seen.join(', ')})`);
    const s = await store.status();
    assert.equal(s.outbox.expired, n);
    assert.equal(s.turns.failed_terminal, n);
  } finally {
    await store.close();
  }
});

test('a step waits for a lock another connection holds without stopping the thread, and fails locked past busy_timeout', async () => {
  const { store, file, clock } = open();
  const holder = new Database(file);
  try {
    delivered(store, 10);
    clock.advance(49 * HOUR);
    holder.exec('BEGIN IMMEDIATE');
    let settled = false;
    const prune = store.recovery.prune().finally(() => (settled = true));
    // This thread runs on while the prune waits: the holder (on this same thread) commits.
    let turns = 0;
    for (; turns < 20; turns++) await nextTurn();
    assert.equal(settled, false, 'the prune waits for the lock');
    holder.exec('COMMIT');
    assert.equal((await prune).turns, 10);

    // Held past busy_timeout: the step fails `locked`, as a blocking wait would have.
    delivered(store, 1);
    clock.advance(49 * HOUR);
    holder.exec('BEGIN IMMEDIATE');
    await assert.rejects(store.recovery.prune(), (err: unknown) => (err as { code?: string }).code === 'locked');
    holder.exec('ROLLBACK');
    assert.equal((await store.recovery.prune()).turns, 1);
  } finally {
    if (holder.inTransaction) holder.exec('ROLLBACK');
    holder.close();
    await store.close();
  }
});
