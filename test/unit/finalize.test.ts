// Finalizing a turn (SPEC, "Finalizing a turn"): decided by its final rows only (dispatch_kind
// 'final' or NULL); tool/block rows never decide; the host's report of sends outside the outbox.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DispatchKind, Lifecycle } from '../../main/lifecycle';
import { ROUTE, openTemp } from '../helpers/temp-db';

function runningTurn(lc: Lifecycle): string {
  const { turn } = lc.accept({ channel: 'telegram', sessionKey: 'sess', payload: { text: 'q' }, route: ROUTE });
  lc.markRunning(turn.id);
  return turn.id;
}

function row(lc: Lifecycle, turnId: string, kind: DispatchKind | null): string {
  return lc.enqueue({
    turnId,
    channel: 'telegram',
    target: 'chat-1',
    dispatchKind: kind,
    payload: { text: String(kind) },
  }).row.id;
}

test('a delivered final row makes the turn delivered, even when another final row failed', () => {
  const { lc } = openTemp();
  try {
    const t = runningTurn(lc);
    lc.fail(row(lc, t, 'final'), { error: 'too long', errorClass: 'permanent' });
    lc.ack(row(lc, t, 'final'));
    const r = lc.finalize(t);
    assert.deepEqual({ status: r.status, changed: r.changed }, { status: 'delivered', changed: true });
    const turn = lc.getTurn(t)!;
    assert.equal(turn.status, 'delivered');
    assert.notEqual(turn.completedAt, null);
  } finally {
    lc.close();
  }
});

test('(3) a failed tool/block row never fails a turn whose final reply was delivered', () => {
  const { lc } = openTemp();
  try {
    const t = runningTurn(lc);
    lc.fail(row(lc, t, 'tool'), { error: 'tool message rejected', errorClass: 'terminal' });
    lc.fail(row(lc, t, 'block'), { error: 'block too large', errorClass: 'permanent' });
    lc.ack(row(lc, t, 'final'));
    assert.equal(lc.finalize(t).status, 'delivered');
    assert.equal(lc.getTurn(t)?.status, 'delivered');
    assert.equal(lc.getTurn(t)?.terminalReason, null);
  } finally {
    lc.close();
  }
});

test('only tool/block rows (even delivered) do not decide a turn: with no final reply it is failed_retryable', () => {
  const { lc, clock } = openTemp();
  try {
    const t = runningTurn(lc);
    lc.ack(row(lc, t, 'tool'));
    lc.ack(row(lc, t, 'block'));
    const r = lc.finalize(t);
    assert.equal(r.status, 'failed_retryable');
    const turn = lc.getTurn(t)!;
    assert.equal(turn.attemptCount, 1);
    assert.equal(turn.nextAttemptAt, clock.t + lc.core.config.turnBackoffMs);
  } finally {
    lc.close();
  }
});

test('final rows all failed_terminal or expired (none pending) make the turn failed_terminal with the error', () => {
  const { lc, clock } = openTemp();
  try {
    const t = runningTurn(lc);
    lc.fail(row(lc, t, 'final'), { error: 'bot was blocked by the user', errorClass: 'terminal' });
    const pending = row(lc, t, 'final');
    // A pending final row keeps the turn open: the outbox pass owns it.
    const open = lc.finalize(t);
    assert.equal(open.changed, false);
    assert.equal(open.reason, 'final reply still queued');
    assert.equal(lc.getTurn(t)?.status, 'delivery_pending');
    clock.advance(lc.core.config.outboxMaxAgeMs + 1);
    assert.equal(lc.expire().expiredRows, 1);
    assert.equal(lc.getRow(pending)?.status, 'expired');
    const r = lc.finalize(t);
    assert.equal(r.status, 'failed_terminal');
    assert.match(r.reason ?? '', /^final reply failed: /);
    assert.equal(lc.getTurn(t)?.status, 'failed_terminal');
  } finally {
    lc.close();
  }
});

test('(4) a NULL dispatch kind counts as final for finalization', () => {
  const { lc } = openTemp();
  try {
    // Queued direct send: the turn waits for it, like a final row.
    const a = runningTurn(lc);
    const direct = row(lc, a, null);
    assert.equal(lc.getRow(direct)?.dispatchKind, null);
    assert.equal(lc.getTurn(a)?.status, 'delivery_pending', 'a queued direct send is a final reply');
    assert.equal(lc.finalize(a).reason, 'final reply still queued');
    lc.ack(direct);
    assert.equal(lc.finalize(a).status, 'delivered');

    // Failed direct send: the turn failed.
    const b = runningTurn(lc);
    lc.fail(row(lc, b, null), { error: 'chat gone', errorClass: 'terminal' });
    assert.equal(lc.finalize(b).status, 'failed_terminal');

    // A gateway row written with dispatch_kind NULL by raw SQL behaves the same.
    const c = runningTurn(lc);
    lc.db
      .prepare(
        `INSERT INTO message_outbox (id, turn_id, channel, payload, queued_at, status, next_attempt_at, delivered_at, completed_at)
         VALUES ('raw-direct', ?, 'telegram', '{}', 1, 'delivered', 1, 2, 2)`,
      )
      .run(c);
    assert.equal(lc.finalize(c).status, 'delivered');
  } finally {
    lc.close();
  }
});

test('(5) a final reply sent outside the outbox (finalSendsOutsideOutbox) is trusted, not treated as a failure', () => {
  const { lc } = openTemp();
  try {
    const t = runningTurn(lc);
    const r = lc.finalize(t, { finalSendsOutsideOutbox: 2 });
    assert.equal(r.status, 'delivered');
    assert.equal(r.reason, 'final reply sent outside the outbox (2)');
    const turn = lc.getTurn(t)!;
    assert.equal(turn.status, 'delivered');
    assert.equal(turn.attemptCount, 0);
    assert.equal(turn.terminalReason, 'final reply sent outside the outbox (2)');

    // Zero outside sends and no final row: nothing was sent, recovery will replay.
    const u = runningTurn(lc);
    assert.equal(lc.finalize(u, { finalSendsOutsideOutbox: 0 }).status, 'failed_retryable');
    assert.equal(lc.getTurn(u)?.attemptCount, 1);
  } finally {
    lc.close();
  }
});

test('"delivered" with nothing sent carries its reason (noReply)', () => {
  const { lc } = openTemp();
  try {
    const t = runningTurn(lc);
    const r = lc.finalize(t, { noReply: 'message was a reaction' });
    assert.equal(r.status, 'delivered');
    assert.equal(lc.getTurn(t)?.terminalReason, 'no reply: message was a reaction');
    assert.ok(lc.history(t).some((h) => h.toStatus === 'delivered' && h.reason === 'no reply: message was a reaction'));
  } finally {
    lc.close();
  }
});

test('finalizing a terminal turn changes nothing', () => {
  const { lc } = openTemp();
  try {
    const t = runningTurn(lc);
    lc.finalize(t, { noReply: 'x' });
    const before = lc.getTurn(t);
    lc.ack(row(lc, t, 'final'));
    const r = lc.finalize(t);
    assert.equal(r.changed, false);
    assert.equal(r.status, 'delivered');
    assert.deepEqual(lc.getTurn(t), before);
    const aborted = runningTurn(lc);
    lc.abortSession('sess');
    assert.equal(lc.finalize(aborted, { finalSendsOutsideOutbox: 1 }).status, 'aborted');
  } finally {
    lc.close();
  }
});
