// The write-ahead outbox (SPEC, "Outbox" and "Guarded transitions"): rows are committed before
// the send, acked or failed with backoff, and every transition is guarded by the current status.
// Every case runs on both backends (helpers/backends.ts).
import assert from 'node:assert/strict';
import { LifecycleError, type EnqueueInput } from '../../main/lifecycle';
import type { LifecycleStore } from '../../main/store/contract';
import { eachBackend } from '../helpers/backends';
import { ROUTE } from '../helpers/temp-db';

async function runningTurn(store: LifecycleStore, sessionKey = 'sess'): Promise<string> {
  const { turn } = await store.accept({ channel: 'telegram', sessionKey, payload: { text: 'q' }, route: ROUTE });
  await store.markRunning(turn.id);
  return turn.id;
}

async function finalRow(
  store: LifecycleStore,
  turnId: string | null,
  over: Partial<EnqueueInput> = {},
): Promise<string> {
  const { row } = await store.enqueue({
    turnId,
    channel: 'telegram',
    target: 'chat-1',
    dispatchKind: 'final',
    payload: { text: 'a' },
    ...over,
  });
  return row.id;
}

const isCode = (code: string) => (err: unknown) => err instanceof LifecycleError && err.code === code;

eachBackend(
  'write-ahead: the row is committed (visible to another connection) before the send is attempted',
  async (c) => {
    const other = await c.peer();
    const turnId = await runningTurn(c.store);
    const { row, duplicate } = await c.store.enqueue({
      turnId,
      channel: 'telegram',
      target: 'chat-1',
      dispatchKind: 'final',
      payload: { text: 'hi' },
    });
    assert.equal(duplicate, false);
    const seen = await other.getRow(row.id);
    assert.equal(seen?.status, 'queued');
    assert.equal(seen?.payload, '{"text":"hi"}');
    assert.equal(seen?.attemptCount, 0);
    assert.equal(seen?.queuedAt, c.clock.t);
    assert.equal((await other.getTurn(turnId))?.status, 'delivery_pending');
    // beginSend hands the row out only while it is pending.
    assert.equal((await c.store.beginSend(row.id))?.id, row.id);
    assert.equal(await c.store.ack(row.id), true);
    assert.equal(await c.store.beginSend(row.id), null);
  },
);

eachBackend('ack marks the row delivered with its time and attempt', async ({ store, clock }) => {
  const id = await finalRow(store, await runningTurn(store));
  clock.advance(1234);
  assert.equal(await store.ack(id), true);
  const r = (await store.getRow(id))!;
  assert.equal(r.status, 'delivered');
  assert.equal(r.deliveredAt, clock.t);
  assert.equal(r.completedAt, clock.t);
  assert.equal(r.attemptCount, 1);
  assert.equal(r.claimOwner, null);
  assert.equal(await store.ack(id), false, 'a second ack changes nothing');
});

eachBackend(
  'retryable failures back off 5 s, 25 s, 2 min, 10 min, then failed_terminal with max_attempts',
  async ({ store, clock }) => {
    const id = await finalRow(store, await runningTurn(store));
    const expected = [5_000, 25_000, 120_000, 600_000];
    for (const [i, backoff] of expected.entries()) {
      clock.advance(1_000);
      assert.equal(await store.fail(id, { error: `HTTP 503 #${i + 1}`, errorClass: 'retryable' }), 'failed_retryable');
      const r = (await store.getRow(id))!;
      assert.equal(r.attemptCount, i + 1);
      assert.equal(r.nextAttemptAt - clock.t, backoff, `backoff after attempt ${i + 1}`);
      assert.equal(r.lastError, `HTTP 503 #${i + 1}`);
      assert.equal(r.errorClass, 'retryable');
      assert.equal(r.lastAttemptAt, clock.t);
    }
    assert.equal(await store.fail(id, { error: 'HTTP 503 #5', errorClass: 'retryable' }), 'failed_terminal');
    const r = (await store.getRow(id))!;
    assert.equal(r.status, 'failed_terminal');
    assert.equal(r.terminalReason, 'max_attempts');
    assert.equal(r.attemptCount, 5);
    assert.notEqual(r.completedAt, null);
  },
);

eachBackend(
  'the backoff table and max attempts are configurable; the last backoff repeats',
  async ({ store, clock }) => {
    const id = await finalRow(store, null);
    const seen: number[] = [];
    for (let i = 0; i < 3; i++) {
      await store.fail(id, { error: 'x', errorClass: 'retryable' });
      seen.push((await store.getRow(id))!.nextAttemptAt - clock.t);
    }
    assert.deepEqual(seen, [1_000, 2_000, 2_000]);
    assert.equal(await store.fail(id, { error: 'x', errorClass: 'retryable' }), 'failed_terminal');
    assert.equal((await store.getRow(id))?.terminalReason, 'max_attempts');
  },
  { config: { outboxMaxAttempts: 4, outboxBackoffMs: [1_000, 2_000] } },
);

eachBackend('terminal and permanent failures end the row at once with their error class', async ({ store }) => {
  for (const errorClass of ['terminal', 'permanent'] as const) {
    const id = await finalRow(store, null);
    assert.equal(await store.fail(id, { error: `chat not found (${errorClass})`, errorClass }), 'failed_terminal');
    const r = (await store.getRow(id))!;
    assert.equal(r.status, 'failed_terminal');
    assert.equal(r.errorClass, errorClass);
    assert.equal(r.attemptCount, 1);
    assert.equal(r.terminalReason, `chat not found (${errorClass})`);
  }
});

eachBackend('guarded: a late failure never reopens a done row', async ({ store }) => {
  const id = await finalRow(store, await runningTurn(store));
  assert.equal(await store.ack(id), true);
  const done = await store.getRow(id);
  assert.equal(await store.fail(id, { error: 'timeout after the fact', errorClass: 'retryable' }), null);
  assert.deepEqual(await store.getRow(id), done);
  const t = await store.fail(await finalRow(store, null), { error: 'gone', errorClass: 'terminal' });
  assert.equal(t, 'failed_terminal');
});

eachBackend(
  'guarded: an ack after abort returns false and the row stays failed_terminal (turn_aborted)',
  async ({ store }) => {
    const turnId = await runningTurn(store, 'sess-abort');
    const id = await finalRow(store, turnId);
    const sending = await store.beginSend(id);
    assert.ok(sending, 'the send started before the abort');
    const result = await store.abortSession('sess-abort');
    assert.deepEqual({ turns: result.turns, outbox: result.outbox }, { turns: 1, outbox: 1 });
    assert.equal(await store.ack(id), false, 'the send completed after the abort: not delivered');
    const r = (await store.getRow(id))!;
    assert.equal(r.status, 'failed_terminal');
    assert.equal(r.terminalReason, 'turn_aborted');
    assert.equal(r.deliveredAt, null);
    assert.equal(await store.fail(id, { error: 'late', errorClass: 'retryable' }), null);
    assert.equal((await store.getRow(id))?.status, 'failed_terminal');
    assert.equal((await store.getTurn(turnId))?.status, 'aborted');
  },
);

eachBackend(
  'guarded: enqueue for an aborted turn throws LifecycleError turn_aborted and writes nothing',
  async ({ store }) => {
    const turnId = await runningTurn(store, 'sess-x');
    await store.abortSession('sess-x');
    await assert.rejects(
      async () => store.enqueue({ turnId, channel: 'telegram', dispatchKind: 'final', payload: { text: 'too late' } }),
      isCode('turn_aborted'),
    );
    assert.equal((await store.listOutbox({ turnId })).items.length, 0);
    await assert.rejects(
      async () => store.enqueue({ turnId: 'missing', channel: 'telegram', payload: {} }),
      isCode('not_found'),
    );
  },
);

eachBackend('an idempotency key already queued is not written twice', async ({ store }) => {
  const a = await store.enqueue({ channel: 'slack', target: 'C1', payload: { text: 'x' }, idempotencyKey: 'idem-1' });
  const b = await store.enqueue({ channel: 'slack', target: 'C1', payload: { text: 'x' }, idempotencyKey: 'idem-1' });
  assert.equal(a.duplicate, false);
  assert.equal(b.duplicate, true);
  assert.equal(b.row.id, a.row.id);
  assert.equal((await store.status()).outbox.queued, 1);
});

// On SQLite concurrent writes share a commit (group commit, SqliteStore → Lifecycle.commit); on
// PostgreSQL each is its own transaction on the pool. Either way the promise is the commit.
eachBackend(
  'group commit: each caller resolves only after its write committed; one failure rejects only its caller',
  async (c) => {
    const other = await c.peer();
    const turnIds: string[] = [];
    for (let i = 0; i < 20; i++) turnIds.push(await runningTurn(c.store, `s-${i}`));
    await c.store.abortSession('s-3');
    const results = await Promise.allSettled(
      turnIds.map(async (turnId) => {
        const { row } = await c.store.enqueue({
          turnId,
          channel: 'telegram',
          dispatchKind: 'final',
          payload: { n: turnId },
        });
        return row.id;
      }),
    );
    for (const [i, r] of results.entries()) {
      if (i === 3) {
        assert.equal(r.status, 'rejected');
        assert.ok(r.status === 'rejected' && r.reason instanceof LifecycleError && r.reason.code === 'turn_aborted');
      } else {
        assert.equal(r.status, 'fulfilled');
        // Committed: another connection sees it as soon as the caller is told.
        if (r.status === 'fulfilled') assert.equal((await other.getRow(r.value))?.status, 'queued');
      }
    }
    assert.equal((await other.status()).outbox.queued, 19);
  },
);
