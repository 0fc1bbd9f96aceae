// Finalizing a turn (SPEC, "Finalizing a turn"): decided by its final rows only (dispatch_kind
// 'final' or NULL); tool/block rows never decide; the host's report of sends outside the outbox.
// Every case runs on both backends (helpers/backends.ts).
import assert from 'node:assert/strict';
import type { DispatchKind } from '../../main/lifecycle';
import type { LifecycleStore } from '../../main/store/contract';
import { eachBackend } from '../helpers/backends';
import { ROUTE } from '../helpers/temp-db';

async function runningTurn(store: LifecycleStore): Promise<string> {
  const { turn } = await store.accept({
    channel: 'telegram',
    sessionKey: 'sess',
    payload: { text: 'q' },
    route: ROUTE,
  });
  await store.markRunning(turn.id);
  return turn.id;
}

async function row(store: LifecycleStore, turnId: string, kind: DispatchKind | null): Promise<string> {
  const { row: r } = await store.enqueue({
    turnId,
    channel: 'telegram',
    target: 'chat-1',
    dispatchKind: kind,
    payload: { text: String(kind) },
  });
  return r.id;
}

eachBackend('a delivered final row makes the turn delivered, even when another final row failed', async ({ store }) => {
  const t = await runningTurn(store);
  await store.fail(await row(store, t, 'final'), { error: 'too long', errorClass: 'permanent' });
  await store.ack(await row(store, t, 'final'));
  const r = await store.finalize(t);
  assert.deepEqual({ status: r.status, changed: r.changed }, { status: 'delivered', changed: true });
  const turn = (await store.getTurn(t))!;
  assert.equal(turn.status, 'delivered');
  assert.notEqual(turn.completedAt, null);
});

eachBackend('(3) a failed tool/block row never fails a turn whose final reply was delivered', async ({ store }) => {
  const t = await runningTurn(store);
  await store.fail(await row(store, t, 'tool'), { error: 'tool message rejected', errorClass: 'terminal' });
  await store.fail(await row(store, t, 'block'), { error: 'block too large', errorClass: 'permanent' });
  await store.ack(await row(store, t, 'final'));
  assert.equal((await store.finalize(t)).status, 'delivered');
  assert.equal((await store.getTurn(t))?.status, 'delivered');
  assert.equal((await store.getTurn(t))?.terminalReason, null);
});

eachBackend(
  'only tool/block rows (even delivered) do not decide a turn: with no final reply it is failed_retryable',
  async ({ store, clock }) => {
    const t = await runningTurn(store);
    await store.ack(await row(store, t, 'tool'));
    await store.ack(await row(store, t, 'block'));
    const r = await store.finalize(t);
    assert.equal(r.status, 'failed_retryable');
    const turn = (await store.getTurn(t))!;
    assert.equal(turn.attemptCount, 1);
    assert.equal(turn.nextAttemptAt, clock.t + store.config.turnBackoffMs);
  },
);

eachBackend(
  'final rows all failed_terminal or expired (none pending) make the turn failed_terminal with the error',
  async ({ store, clock }) => {
    const t = await runningTurn(store);
    await store.fail(await row(store, t, 'final'), { error: 'bot was blocked by the user', errorClass: 'terminal' });
    const pending = await row(store, t, 'final');
    // A pending final row keeps the turn open: the outbox pass owns it.
    const open = await store.finalize(t);
    assert.equal(open.changed, false);
    assert.equal(open.reason, 'final reply still queued');
    assert.equal((await store.getTurn(t))?.status, 'delivery_pending');
    clock.advance(store.config.outboxMaxAgeMs + 1);
    assert.equal((await store.expire()).expiredRows, 1);
    assert.equal((await store.getRow(pending))?.status, 'expired');
    const r = await store.finalize(t);
    assert.equal(r.status, 'failed_terminal');
    assert.match(r.reason ?? '', /^final reply failed: /);
    assert.equal((await store.getTurn(t))?.status, 'failed_terminal');
  },
);

eachBackend('(4) a NULL dispatch kind counts as final for finalization', async ({ store, sql }) => {
  // Queued direct send: the turn waits for it, like a final row.
  const a = await runningTurn(store);
  const direct = await row(store, a, null);
  assert.equal((await store.getRow(direct))?.dispatchKind, null);
  assert.equal((await store.getTurn(a))?.status, 'delivery_pending', 'a queued direct send is a final reply');
  assert.equal((await store.finalize(a)).reason, 'final reply still queued');
  await store.ack(direct);
  assert.equal((await store.finalize(a)).status, 'delivered');

  // Failed direct send: the turn failed.
  const b = await runningTurn(store);
  await store.fail(await row(store, b, null), { error: 'chat gone', errorClass: 'terminal' });
  assert.equal((await store.finalize(b)).status, 'failed_terminal');

  // A gateway row written with dispatch_kind NULL by raw SQL behaves the same.
  const c = await runningTurn(store);
  await sql(
    `INSERT INTO message_outbox (id, turn_id, channel, payload, queued_at, status, next_attempt_at, delivered_at, completed_at)
     VALUES ('raw-direct', ?, 'telegram', '{}', 1, 'delivered', 1, 2, 2)`,
    [c],
  );
  assert.equal((await store.finalize(c)).status, 'delivered');
});

eachBackend(
  '(5) a final reply sent outside the outbox (finalSendsOutsideOutbox) is trusted, not treated as a failure',
  async ({ store }) => {
    const t = await runningTurn(store);
    const r = await store.finalize(t, { finalSendsOutsideOutbox: 2 });
    assert.equal(r.status, 'delivered');
    assert.equal(r.reason, 'final reply sent outside the outbox (2)');
    const turn = (await store.getTurn(t))!;
    assert.equal(turn.status, 'delivered');
    assert.equal(turn.attemptCount, 0);
    assert.equal(turn.terminalReason, 'final reply sent outside the outbox (2)');

    // Zero outside sends and no final row: nothing was sent, recovery will replay.
    const u = await runningTurn(store);
    assert.equal((await store.finalize(u, { finalSendsOutsideOutbox: 0 })).status, 'failed_retryable');
    assert.equal((await store.getTurn(u))?.attemptCount, 1);
  },
);

eachBackend('"delivered" with nothing sent carries its reason (noReply)', async ({ store }) => {
  const t = await runningTurn(store);
  const r = await store.finalize(t, { noReply: 'message was a reaction' });
  assert.equal(r.status, 'delivered');
  assert.equal((await store.getTurn(t))?.terminalReason, 'no reply: message was a reaction');
  assert.ok(
    (await store.history(t)).some((h) => h.toStatus === 'delivered' && h.reason === 'no reply: message was a reaction'),
  );
});

eachBackend('finalizing a terminal turn changes nothing', async ({ store }) => {
  const t = await runningTurn(store);
  await store.finalize(t, { noReply: 'x' });
  const before = await store.getTurn(t);
  await store.ack(await row(store, t, 'final'));
  const r = await store.finalize(t);
  assert.equal(r.changed, false);
  assert.equal(r.status, 'delivered');
  assert.deepEqual(await store.getTurn(t), before);
  const aborted = await runningTurn(store);
  await store.abortSession('sess');
  assert.equal((await store.finalize(aborted, { finalSendsOutsideOutbox: 1 })).status, 'aborted');
});
