// Expiry and pruning (SPEC, "Outbox", "Defaults" and the worker's step 3): rows past max age
// expire (or get one last attempt), stale turns end, terminal data is pruned after retention.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RecoveryWorker, type Lifecycle } from '../../main/lifecycle';
import { ROUTE, openTemp } from '../helpers/temp-db';
import { SqliteStore } from '../../main/store/sqlite/store';

const MIN = 60_000;
const HOUR = 60 * MIN;

function turn(lc: Lifecycle, sessionKey = 'sess'): string {
  const { turn: t } = lc.accept({ channel: 'telegram', sessionKey, payload: { text: 'q' }, route: ROUTE });
  lc.markRunning(t.id);
  return t.id;
}

function row(lc: Lifecycle, turnId: string | null, kind: 'final' | 'tool' | null = 'final'): string {
  return lc.enqueue({
    turnId,
    channel: 'telegram',
    target: 'chat-1',
    dispatchKind: kind,
    payload: { t: 1 },
    live: false,
  }).row.id;
}

function countsMatch(lc: Lifecycle): void {
  const s = lc.status();
  for (const [table, key] of [
    ['message_turns', 'turns'],
    ['message_outbox', 'outbox'],
  ] as const) {
    const actual = Object.fromEntries(
      (
        lc.db.prepare(`SELECT status, count(*) AS n FROM ${table} GROUP BY status`).all() as {
          status: string;
          n: number;
        }[]
      ).map((r) => [r.status, r.n]),
    );
    for (const [status, n] of Object.entries(s[key])) assert.equal(n, actual[status] ?? 0, `${key}.${status}`);
  }
}

test('expiry (expire mode): pending rows older than 30 min become expired; their turn is then failed_terminal', async () => {
  const { lc, clock } = openTemp();
  try {
    const t = turn(lc);
    const old = row(lc, t);
    // The host's live send failed and it finalized the turn: its final reply is still queued.
    lc.fail(old, { error: 'HTTP 502', errorClass: 'retryable' });
    assert.equal(lc.finalize(t).reason, 'final reply still queued');
    const oldRetrying = row(lc, null);
    lc.fail(oldRetrying, { error: '503', errorClass: 'retryable' });
    clock.advance(30 * MIN);
    const young = row(lc, null);
    assert.equal(lc.expire().expiredRows, 0, 'exactly max age is not yet past it');
    clock.advance(1);
    const result = lc.expire();
    assert.deepEqual(result, { expiredRows: 2, lastChanceRows: 0, staleTurns: 0 });
    for (const id of [old, oldRetrying]) {
      const r = lc.getRow(id)!;
      assert.equal(r.status, 'expired');
      assert.equal(r.terminalReason, 'expired');
      assert.equal(r.completedAt, clock.t);
    }
    assert.equal(lc.getRow(young)?.status, 'queued');
    const worker = new RecoveryWorker(new SqliteStore(lc), {});
    await worker.runOnce();
    await worker.stop();
    assert.equal(lc.getTurn(t)?.status, 'failed_terminal', 'decided on the next pass, not left open until it is stale');
    assert.match(lc.getTurn(t)?.terminalReason ?? '', /final reply failed/);
  } finally {
    lc.close();
  }
});

test('expiry (last-attempt mode): an old row gets exactly one more delivery attempt, then expires if it fails', async () => {
  const { lc, clock } = openTemp({ config: { outboxExpiryMode: 'last-attempt', outboxBackoffMs: [HOUR] } });
  const calls: string[] = [];
  const worker = new RecoveryWorker(new SqliteStore(lc), {
    deliver: async (r) => {
      calls.push(r.id);
      if (r.id === failing) throw new Error('HTTP 503');
    },
  });
  const failing = row(lc, null);
  const succeeding = row(lc, null);
  try {
    lc.fail(failing, { error: 'HTTP 503', errorClass: 'retryable' });
    lc.fail(succeeding, { error: 'HTTP 503', errorClass: 'retryable' });
    clock.advance(30 * MIN + 1); // past max age, but their next attempt is an hour away
    assert.deepEqual(lc.expire(), { expiredRows: 0, lastChanceRows: 2, staleTurns: 0 });
    assert.equal(lc.getRow(failing)?.status, 'failed_retryable');
    assert.equal(lc.getRow(failing)?.nextAttemptAt, clock.t, 'the last attempt is due now');
    assert.equal(lc.expire().lastChanceRows, 0, 'a row gets its last chance once');
    await worker.runOnce();
    assert.deepEqual([...calls].sort(), [failing, succeeding].sort());
    const f = lc.getRow(failing)!;
    assert.equal(f.status, 'expired');
    assert.equal(f.terminalReason, 'expired');
    assert.equal(lc.getRow(succeeding)?.status, 'delivered');
    clock.advance(2 * HOUR);
    await worker.runOnce();
    assert.equal(calls.length, 2, 'never attempted again');
  } finally {
    await worker.stop();
    lc.close();
  }
});

test('stale turns: non-terminal turns older than the max recovery age become failed_terminal (stale)', () => {
  const { lc, clock } = openTemp();
  try {
    const open = ['accepted', 'running', 'delivery_pending', 'failed_retryable'].map((want) => {
      const { turn: t } = lc.accept({ channel: 'telegram', sessionKey: want, payload: {}, route: ROUTE });
      if (want !== 'accepted') lc.markRunning(t.id);
      if (want === 'delivery_pending') row(lc, t.id);
      if (want === 'failed_retryable') lc.recordFailure(t.id, 'x');
      assert.equal(lc.getTurn(t.id)?.status, want);
      return t.id;
    });
    const done = turn(lc);
    lc.finalize(done, { noReply: 'x' });
    clock.advance(24 * HOUR);
    const young = turn(lc);
    assert.equal(lc.expire().staleTurns, 0);
    clock.advance(1);
    assert.equal(lc.expire().staleTurns, 4);
    for (const id of open) {
      const t = lc.getTurn(id)!;
      assert.equal(t.status, 'failed_terminal');
      assert.equal(t.terminalReason, 'stale');
      assert.equal(t.completedAt, clock.t);
    }
    assert.equal(lc.getTurn(done)?.status, 'delivered');
    assert.equal(lc.getTurn(young)?.status, 'running');
  } finally {
    lc.close();
  }
});

test('pruning removes terminal turns and done rows after the retention window, with their history', () => {
  const { lc, clock } = openTemp();
  try {
    const oldTurn = turn(lc, 'a');
    const oldRow = row(lc, oldTurn);
    lc.ack(oldRow);
    lc.finalize(oldTurn);
    const oldDirect = row(lc, null, null);
    lc.fail(oldDirect, { error: 'gone', errorClass: 'terminal' });
    const oldOpen = turn(lc, 'b'); // not terminal: never pruned
    const oldPending = row(lc, null);
    assert.ok(lc.history(oldTurn).length > 0);
    assert.ok(lc.history(oldDirect).length > 0);
    clock.advance(HOUR);
    const recentTurn = turn(lc, 'c');
    lc.finalize(recentTurn, { noReply: 'x' });
    clock.advance(48 * HOUR - HOUR);
    assert.deepEqual(lc.prune(), { turns: 0, outbox: 0, history: 0 }, 'exactly at the window: kept');
    clock.advance(1);
    const result = lc.prune();
    assert.equal(result.turns, 1);
    assert.equal(result.outbox, 2);
    assert.ok(result.history >= 4);
    assert.equal(lc.getTurn(oldTurn), undefined);
    assert.equal(lc.getRow(oldRow), undefined);
    assert.equal(lc.getRow(oldDirect), undefined);
    assert.deepEqual(lc.history(oldTurn), [], 'history of the pruned turn is removed');
    assert.deepEqual(lc.history(oldDirect), [], 'history of a pruned direct row is removed');
    assert.equal(lc.getTurn(oldOpen)?.status, 'running');
    assert.equal(lc.getRow(oldPending)?.status, 'queued');
    assert.equal(lc.getTurn(recentTurn)?.status, 'delivered');
    assert.ok(lc.history(recentTurn).length > 0);
    countsMatch(lc);
  } finally {
    lc.close();
  }
});

test('each expiry or prune call is one bounded batch (maintenanceBatch)', () => {
  const { lc, clock } = openTemp({ config: { maintenanceBatch: 10 } });
  try {
    lc.db.transaction(() => {
      for (let i = 0; i < 25; i++) row(lc, null);
    })();
    clock.advance(30 * MIN + 1);
    assert.deepEqual(
      [lc.expire().expiredRows, lc.expire().expiredRows, lc.expire().expiredRows, lc.expire().expiredRows],
      [10, 10, 5, 0],
    );
    clock.advance(48 * HOUR + 1);
    assert.deepEqual([lc.prune().outbox, lc.prune().outbox, lc.prune().outbox, lc.prune().outbox], [10, 10, 5, 0]);
    countsMatch(lc);
  } finally {
    lc.close();
  }
});

test('the worker runs expiry and pruning in its pass', async () => {
  const { lc, clock } = openTemp();
  try {
    const t = turn(lc);
    lc.finalize(t, { noReply: 'x' });
    const stale = turn(lc, 'other');
    clock.advance(48 * HOUR + 1);
    const worker = new RecoveryWorker(new SqliteStore(lc), {});
    const report = await worker.runOnce();
    await worker.stop();
    assert.equal(report.expiry.staleTurns, 1);
    assert.equal(report.pruned.turns, 1);
    assert.equal(lc.getTurn(t), undefined);
    assert.equal(lc.getTurn(stale)?.status, 'failed_terminal');
  } finally {
    lc.close();
  }
});
