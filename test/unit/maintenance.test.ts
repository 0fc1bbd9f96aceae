// Expiry and pruning (SPEC, "Outbox", "Defaults" and the worker's step 3): rows past max age
// expire (or get one last attempt), stale turns end, terminal data is pruned after retention.
// Every case runs on both backends (helpers/backends.ts).
import assert from 'node:assert/strict';
import { RecoveryWorker } from '../../main/lifecycle';
import { eachBackend, type Case } from '../helpers/backends';
import { ROUTE } from '../helpers/temp-db';
import { queuedRow, runningTurn } from '../helpers/store-rows';

const MIN = 60_000;
const HOUR = 60 * MIN;

const turn = runningTurn;
const row = queuedRow;

/** status()'s counts equal what SELECT count(*) … GROUP BY status finds in the tables. */
async function countsMatch(c: Case): Promise<void> {
  const s = await c.store.status();
  for (const [table, key] of [
    ['message_turns', 'turns'],
    ['message_outbox', 'outbox'],
  ] as const) {
    const rows = await c.sql<{ status: string; n: number }>(
      `SELECT status, count(*) AS n FROM ${table} GROUP BY status`,
    );
    const actual = Object.fromEntries(rows.map((r) => [r.status, r.n]));
    for (const [status, n] of Object.entries(s[key])) assert.equal(n, actual[status] ?? 0, `${key}.${status}`);
  }
}

eachBackend(
  'expiry (expire mode): pending rows older than 30 min become expired; their turn is then failed_terminal',
  async ({ store, clock }) => {
    const t = await turn(store);
    const old = await row(store, t);
    // The host's live send failed and it finalized the turn: its final reply is still queued.
    await store.fail(old, { error: 'HTTP 502', errorClass: 'retryable' });
    assert.equal((await store.finalize(t)).reason, 'final reply still queued');
    const oldRetrying = await row(store, null);
    await store.fail(oldRetrying, { error: '503', errorClass: 'retryable' });
    clock.advance(30 * MIN);
    const young = await row(store, null);
    assert.equal((await store.expire()).expiredRows, 0, 'exactly max age is not yet past it');
    clock.advance(1);
    const result = await store.expire();
    assert.deepEqual(result, { expiredRows: 2, lastChanceRows: 0, staleTurns: 0 });
    for (const id of [old, oldRetrying]) {
      const r = (await store.getRow(id))!;
      assert.equal(r.status, 'expired');
      assert.equal(r.terminalReason, 'expired');
      assert.equal(r.completedAt, clock.t);
    }
    assert.equal((await store.getRow(young))?.status, 'queued');
    const worker = new RecoveryWorker(store, {});
    await worker.runOnce();
    await worker.stop();
    assert.equal(
      (await store.getTurn(t))?.status,
      'failed_terminal',
      'decided on the next pass, not left open until it is stale',
    );
    assert.match((await store.getTurn(t))?.terminalReason ?? '', /final reply failed/);
  },
);

eachBackend(
  'expiry (last-attempt mode): an old row gets exactly one more delivery attempt, then expires if it fails',
  async ({ store, clock }) => {
    const calls: string[] = [];
    const failing = await row(store, null);
    const succeeding = await row(store, null);
    const worker = new RecoveryWorker(store, {
      deliver: async (r) => {
        calls.push(r.id);
        if (r.id === failing) throw new Error('HTTP 503');
      },
    });
    try {
      await store.fail(failing, { error: 'HTTP 503', errorClass: 'retryable' });
      await store.fail(succeeding, { error: 'HTTP 503', errorClass: 'retryable' });
      clock.advance(30 * MIN + 1); // past max age, but their next attempt is an hour away
      assert.deepEqual(await store.expire(), { expiredRows: 0, lastChanceRows: 2, staleTurns: 0 });
      assert.equal((await store.getRow(failing))?.status, 'failed_retryable');
      assert.equal((await store.getRow(failing))?.nextAttemptAt, clock.t, 'the last attempt is due now');
      assert.equal((await store.expire()).lastChanceRows, 0, 'a row gets its last chance once');
      await worker.runOnce();
      assert.deepEqual([...calls].sort(), [failing, succeeding].sort());
      const f = (await store.getRow(failing))!;
      assert.equal(f.status, 'expired');
      assert.equal(f.terminalReason, 'expired');
      assert.equal((await store.getRow(succeeding))?.status, 'delivered');
      clock.advance(2 * HOUR);
      await worker.runOnce();
      assert.equal(calls.length, 2, 'never attempted again');
    } finally {
      await worker.stop();
    }
  },
  { config: { outboxExpiryMode: 'last-attempt', outboxBackoffMs: [HOUR] } },
);

eachBackend(
  'stale turns: non-terminal turns older than the max recovery age become failed_terminal (stale)',
  async ({ store, clock }) => {
    const open: string[] = [];
    for (const want of ['accepted', 'running', 'delivery_pending', 'failed_retryable']) {
      const { turn: t } = await store.accept({ channel: 'telegram', sessionKey: want, payload: {}, route: ROUTE });
      if (want !== 'accepted') await store.markRunning(t.id);
      if (want === 'delivery_pending') await row(store, t.id);
      if (want === 'failed_retryable') await store.recordFailure(t.id, 'x');
      assert.equal((await store.getTurn(t.id))?.status, want);
      open.push(t.id);
    }
    const done = await turn(store);
    await store.finalize(done, { noReply: 'x' });
    clock.advance(24 * HOUR);
    const young = await turn(store);
    assert.equal((await store.expire()).staleTurns, 0);
    clock.advance(1);
    assert.equal((await store.expire()).staleTurns, 4);
    for (const id of open) {
      const t = (await store.getTurn(id))!;
      assert.equal(t.status, 'failed_terminal');
      assert.equal(t.terminalReason, 'stale');
      assert.equal(t.completedAt, clock.t);
    }
    assert.equal((await store.getTurn(done))?.status, 'delivered');
    assert.equal((await store.getTurn(young))?.status, 'running');
  },
);

eachBackend(
  'pruning removes terminal turns and done rows after the retention window, with their history',
  async (c) => {
    const { store, clock } = c;
    const oldTurn = await turn(store, 'a');
    const oldRow = await row(store, oldTurn);
    await store.ack(oldRow);
    await store.finalize(oldTurn);
    const oldDirect = await row(store, null, null);
    await store.fail(oldDirect, { error: 'gone', errorClass: 'terminal' });
    const oldOpen = await turn(store, 'b'); // not terminal: never pruned
    const oldPending = await row(store, null);
    assert.ok((await store.history(oldTurn)).length > 0);
    assert.ok((await store.history(oldDirect)).length > 0);
    clock.advance(HOUR);
    const recentTurn = await turn(store, 'c');
    await store.finalize(recentTurn, { noReply: 'x' });
    clock.advance(48 * HOUR - HOUR);
    assert.deepEqual(await store.prune(), { turns: 0, outbox: 0, history: 0 }, 'exactly at the window: kept');
    clock.advance(1);
    const result = await store.prune();
    assert.equal(result.turns, 1);
    assert.equal(result.outbox, 2);
    assert.ok(result.history >= 4);
    assert.equal(await store.getTurn(oldTurn), undefined);
    assert.equal(await store.getRow(oldRow), undefined);
    assert.equal(await store.getRow(oldDirect), undefined);
    assert.deepEqual(await store.history(oldTurn), [], 'history of the pruned turn is removed');
    assert.deepEqual(await store.history(oldDirect), [], 'history of a pruned direct row is removed');
    assert.equal((await store.getTurn(oldOpen))?.status, 'running');
    assert.equal((await store.getRow(oldPending))?.status, 'queued');
    assert.equal((await store.getTurn(recentTurn))?.status, 'delivered');
    assert.ok((await store.history(recentTurn)).length > 0);
    await countsMatch(c);
  },
);

eachBackend(
  'each expiry or prune call is one bounded batch (maintenanceBatch)',
  async (c) => {
    const { store, clock } = c;
    await Promise.all(Array.from({ length: 25 }, () => row(store, null)));
    clock.advance(30 * MIN + 1);
    const expired: number[] = [];
    for (let i = 0; i < 4; i++) expired.push((await store.expire()).expiredRows);
    assert.deepEqual(expired, [10, 10, 5, 0]);
    clock.advance(48 * HOUR + 1);
    const pruned: number[] = [];
    for (let i = 0; i < 4; i++) pruned.push((await store.prune()).outbox);
    assert.deepEqual(pruned, [10, 10, 5, 0]);
    await countsMatch(c);
  },
  { config: { maintenanceBatch: 10 } },
);

eachBackend('the worker runs expiry and pruning in its pass', async ({ store, clock }) => {
  const t = await turn(store);
  await store.finalize(t, { noReply: 'x' });
  const stale = await turn(store, 'other');
  clock.advance(48 * HOUR + 1);
  const worker = new RecoveryWorker(store, {});
  const report = await worker.runOnce();
  await worker.stop();
  assert.equal(report.expiry.staleTurns, 1);
  assert.equal(report.pruned.turns, 1);
  assert.equal(await store.getTurn(t), undefined);
  assert.equal((await store.getTurn(stale))?.status, 'failed_terminal');
});
