// The write-ahead outbox (SPEC, "Outbox" and "Guarded transitions"): rows are committed before
// the send, acked or failed with backoff, and every transition is guarded by the current status.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LifecycleError, type EnqueueInput, type Lifecycle } from '../../main/lifecycle';
import { ROUTE, openPeer, openTemp } from '../helpers/temp-db';

function runningTurn(lc: Lifecycle, sessionKey = 'sess'): string {
  const { turn } = lc.accept({ channel: 'telegram', sessionKey, payload: { text: 'q' }, route: ROUTE });
  lc.markRunning(turn.id);
  return turn.id;
}

function finalRow(lc: Lifecycle, turnId: string | null, over: Partial<EnqueueInput> = {}): string {
  return lc.enqueue({
    turnId,
    channel: 'telegram',
    target: 'chat-1',
    dispatchKind: 'final',
    payload: { text: 'a' },
    ...over,
  }).row.id;
}

test('write-ahead: the row is committed (visible to another connection) before the send is attempted', () => {
  const temp = openTemp();
  const other = openPeer(temp);
  try {
    const turnId = runningTurn(temp.lc);
    const { row, duplicate } = temp.lc.enqueue({
      turnId,
      channel: 'telegram',
      target: 'chat-1',
      dispatchKind: 'final',
      payload: { text: 'hi' },
    });
    assert.equal(duplicate, false);
    const seen = other.getRow(row.id);
    assert.equal(seen?.status, 'queued');
    assert.equal(seen?.payload, '{"text":"hi"}');
    assert.equal(seen?.attemptCount, 0);
    assert.equal(seen?.queuedAt, temp.clock.t);
    assert.equal(other.getTurn(turnId)?.status, 'delivery_pending');
    // beginSend hands the row out only while it is pending.
    assert.equal(temp.lc.beginSend(row.id)?.id, row.id);
    assert.equal(temp.lc.ack(row.id), true);
    assert.equal(temp.lc.beginSend(row.id), null);
  } finally {
    other.close();
    temp.lc.close();
  }
});

test('ack marks the row delivered with its time and attempt', () => {
  const { lc, clock } = openTemp();
  try {
    const id = finalRow(lc, runningTurn(lc));
    clock.advance(1234);
    assert.equal(lc.ack(id), true);
    const r = lc.getRow(id)!;
    assert.equal(r.status, 'delivered');
    assert.equal(r.deliveredAt, clock.t);
    assert.equal(r.completedAt, clock.t);
    assert.equal(r.attemptCount, 1);
    assert.equal(r.claimOwner, null);
    assert.equal(lc.ack(id), false, 'a second ack changes nothing');
  } finally {
    lc.close();
  }
});

test('retryable failures back off 5 s, 25 s, 2 min, 10 min, then failed_terminal with max_attempts', () => {
  const { lc, clock } = openTemp();
  try {
    const id = finalRow(lc, runningTurn(lc));
    const expected = [5_000, 25_000, 120_000, 600_000];
    expected.forEach((backoff, i) => {
      clock.advance(1_000);
      assert.equal(lc.fail(id, { error: `HTTP 503 #${i + 1}`, errorClass: 'retryable' }), 'failed_retryable');
      const r = lc.getRow(id)!;
      assert.equal(r.attemptCount, i + 1);
      assert.equal(r.nextAttemptAt - clock.t, backoff, `backoff after attempt ${i + 1}`);
      assert.equal(r.lastError, `HTTP 503 #${i + 1}`);
      assert.equal(r.errorClass, 'retryable');
      assert.equal(r.lastAttemptAt, clock.t);
    });
    assert.equal(lc.fail(id, { error: 'HTTP 503 #5', errorClass: 'retryable' }), 'failed_terminal');
    const r = lc.getRow(id)!;
    assert.equal(r.status, 'failed_terminal');
    assert.equal(r.terminalReason, 'max_attempts');
    assert.equal(r.attemptCount, 5);
    assert.notEqual(r.completedAt, null);
  } finally {
    lc.close();
  }
});

test('the backoff table and max attempts are configurable; the last backoff repeats', () => {
  const { lc, clock } = openTemp({ config: { outboxMaxAttempts: 4, outboxBackoffMs: [1_000, 2_000] } });
  try {
    const id = finalRow(lc, null);
    const seen: number[] = [];
    for (let i = 0; i < 3; i++) {
      lc.fail(id, { error: 'x', errorClass: 'retryable' });
      seen.push(lc.getRow(id)!.nextAttemptAt - clock.t);
    }
    assert.deepEqual(seen, [1_000, 2_000, 2_000]);
    assert.equal(lc.fail(id, { error: 'x', errorClass: 'retryable' }), 'failed_terminal');
    assert.equal(lc.getRow(id)?.terminalReason, 'max_attempts');
  } finally {
    lc.close();
  }
});

test('terminal and permanent failures end the row at once with their error class', () => {
  const { lc } = openTemp();
  try {
    for (const errorClass of ['terminal', 'permanent'] as const) {
      const id = finalRow(lc, null);
      assert.equal(lc.fail(id, { error: `chat not found (${errorClass})`, errorClass }), 'failed_terminal');
      const r = lc.getRow(id)!;
      assert.equal(r.status, 'failed_terminal');
      assert.equal(r.errorClass, errorClass);
      assert.equal(r.attemptCount, 1);
      assert.equal(r.terminalReason, `chat not found (${errorClass})`);
    }
  } finally {
    lc.close();
  }
});

test('guarded: a late failure never reopens a done row', () => {
  const { lc } = openTemp();
  try {
    const id = finalRow(lc, runningTurn(lc));
    assert.equal(lc.ack(id), true);
    const done = lc.getRow(id);
    assert.equal(lc.fail(id, { error: 'timeout after the fact', errorClass: 'retryable' }), null);
    assert.deepEqual(lc.getRow(id), done);
    const t = lc.fail(finalRow(lc, null), { error: 'gone', errorClass: 'terminal' });
    assert.equal(t, 'failed_terminal');
  } finally {
    lc.close();
  }
});

test('guarded: an ack after abort returns false and the row stays failed_terminal (turn_aborted)', () => {
  const { lc } = openTemp();
  try {
    const turnId = runningTurn(lc, 'sess-abort');
    const id = finalRow(lc, turnId);
    const sending = lc.beginSend(id);
    assert.ok(sending, 'the send started before the abort');
    const result = lc.abortSession('sess-abort');
    assert.deepEqual({ turns: result.turns, outbox: result.outbox }, { turns: 1, outbox: 1 });
    assert.equal(lc.ack(id), false, 'the send completed after the abort: not delivered');
    const r = lc.getRow(id)!;
    assert.equal(r.status, 'failed_terminal');
    assert.equal(r.terminalReason, 'turn_aborted');
    assert.equal(r.deliveredAt, null);
    assert.equal(lc.fail(id, { error: 'late', errorClass: 'retryable' }), null);
    assert.equal(lc.getRow(id)?.status, 'failed_terminal');
    assert.equal(lc.getTurn(turnId)?.status, 'aborted');
  } finally {
    lc.close();
  }
});

test('guarded: enqueue for an aborted turn throws LifecycleError turn_aborted and writes nothing', () => {
  const { lc } = openTemp();
  try {
    const turnId = runningTurn(lc, 'sess-x');
    lc.abortSession('sess-x');
    assert.throws(
      () => lc.enqueue({ turnId, channel: 'telegram', dispatchKind: 'final', payload: { text: 'too late' } }),
      (err: unknown) => err instanceof LifecycleError && err.code === 'turn_aborted',
    );
    assert.equal(lc.listOutbox({ turnId }).items.length, 0);
    assert.throws(
      () => lc.enqueue({ turnId: 'missing', channel: 'telegram', payload: {} }),
      (err: unknown) => err instanceof LifecycleError && err.code === 'not_found',
    );
  } finally {
    lc.close();
  }
});

test('an idempotency key already queued is not written twice', () => {
  const { lc } = openTemp();
  try {
    const a = lc.enqueue({ channel: 'slack', target: 'C1', payload: { text: 'x' }, idempotencyKey: 'idem-1' });
    const b = lc.enqueue({ channel: 'slack', target: 'C1', payload: { text: 'x' }, idempotencyKey: 'idem-1' });
    assert.equal(a.duplicate, false);
    assert.equal(b.duplicate, true);
    assert.equal(b.row.id, a.row.id);
    assert.equal(lc.status().outbox.queued, 1);
  } finally {
    lc.close();
  }
});

test('group commit: each caller resolves only after its write committed; one failure rejects only its caller', async () => {
  const temp = openTemp();
  const other = openPeer(temp);
  try {
    const lc = temp.lc;
    const turnIds = Array.from({ length: 20 }, (_, i) => runningTurn(lc, `s-${i}`));
    lc.abortSession('s-3');
    const results = await Promise.allSettled(
      turnIds.map((turnId) =>
        lc.commit(
          () => lc.enqueue({ turnId, channel: 'telegram', dispatchKind: 'final', payload: { n: turnId } }).row.id,
        ),
      ),
    );
    results.forEach((r, i) => {
      if (i === 3) {
        assert.equal(r.status, 'rejected');
        assert.ok(r.status === 'rejected' && r.reason instanceof LifecycleError && r.reason.code === 'turn_aborted');
      } else {
        assert.equal(r.status, 'fulfilled');
        // Committed: another connection sees it as soon as the caller is told.
        if (r.status === 'fulfilled') assert.equal(other.getRow(r.value)?.status, 'queued');
      }
    });
    assert.equal(other.status().outbox.queued, 19);
  } finally {
    other.close();
    temp.lc.close();
  }
});
