// Operator actions (SPEC, "Operator actions"): abort, replay, retry, terminate, prune; each one
// transaction, refused with invalid_state where it makes no sense, recorded with who/what/when.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LifecycleError, RecoveryWorker, type Lifecycle } from '../../main/lifecycle';
import { ROUTE, openPeer, openTemp } from '../helpers/temp-db';
import { SqliteStore } from '../../main/store/sqlite/store';

function invalidState(fn: () => unknown, pattern?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof LifecycleError, String(err));
    assert.equal(err.code, 'invalid_state', err.message);
    if (pattern) assert.match(err.message, pattern);
    return true;
  });
}

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

test('operator abort: aborts the session, is recorded with actor operator and by; refused when nothing is open', () => {
  const { lc, clock } = openTemp();
  try {
    const t = turn(lc, 'S');
    const r = row(lc, t);
    clock.advance(5);
    const result = lc.operatorAbort('S', 'cli:alice');
    assert.equal(result.turns, 1);
    assert.equal(result.outbox, 1);
    assert.equal(lc.getTurn(t)?.terminalReason, 'aborted by cli:alice');
    assert.equal(lc.getRow(r)?.terminalReason, 'turn_aborted');
    const audit = lc.auditTrail();
    assert.ok(audit.length >= 2);
    for (const e of audit) {
      assert.equal(e.actor, 'operator');
      assert.equal(e.by, 'cli:alice');
      assert.equal(e.at, clock.t);
    }
    assert.ok(audit.some((e) => e.entityId === t && e.toStatus === 'aborted'));
    assert.ok(audit.some((e) => e.entityId === r && e.toStatus === 'failed_terminal'));
    invalidState(() => lc.operatorAbort('S', 'cli:alice'), /no open turns/);
    invalidState(() => lc.operatorAbort('never-seen', 'cli:alice'));
  } finally {
    lc.close();
  }
});

test('operator replay re-arms a turn (failed_retryable, due now) and the worker replays it', async () => {
  const { lc, clock } = openTemp();
  try {
    const t = turn(lc);
    lc.recordFailure(t, 'agent crashed');
    assert.ok(lc.getTurn(t)!.nextAttemptAt > clock.t);
    clock.advance(1_000);
    lc.operatorReplay(t, 'ui:bob');
    const armed = lc.getTurn(t)!;
    assert.equal(armed.status, 'failed_retryable');
    assert.equal(armed.nextAttemptAt, clock.t);
    const e = lc.auditTrail(1)[0]!;
    assert.deepEqual(
      { actor: e.actor, by: e.by, entityId: e.entityId, toStatus: e.toStatus, reason: e.reason },
      {
        actor: 'operator',
        by: 'ui:bob',
        entityId: t,
        toStatus: 'failed_retryable',
        reason: 'replay requested by operator',
      },
    );
    const replayed: string[] = [];
    const worker = new RecoveryWorker(new SqliteStore(lc), {
      replay: async (x) => {
        replayed.push(x.id);
        return { finalSendsOutsideOutbox: 1 };
      },
    });
    await worker.runOnce();
    await worker.stop();
    assert.deepEqual(replayed, [t]);
    assert.equal(lc.getTurn(t)?.status, 'delivered');
  } finally {
    lc.close();
  }
});

test('operator replay is refused for terminal turns, turns with a delivered or queued final reply, and turns held by another process', () => {
  const temp = openTemp({ config: { liveLeaseMs: 60_000 } });
  const { lc, clock } = temp;
  const other = openPeer(temp, { owner: 'gateway-2', config: { liveLeaseMs: 60_000 } });
  try {
    const done = turn(lc);
    lc.finalize(done, { noReply: 'x' });
    invalidState(() => lc.operatorReplay(done, 'ui:bob'), /terminal/);

    const delivered = turn(lc);
    lc.ack(row(lc, delivered));
    invalidState(() => lc.operatorReplay(delivered, 'ui:bob'), /delivered final reply/);

    const queued = turn(lc);
    row(lc, queued);
    invalidState(() => lc.operatorReplay(queued, 'ui:bob'), /still queued/);

    const held = turn(other);
    invalidState(() => lc.operatorReplay(held, 'ui:bob'), /being processed by gateway-2/);
    clock.advance(60_001);
    lc.operatorReplay(held, 'ui:bob'); // the other process's lease ran out

    assert.throws(
      () => lc.operatorReplay('missing', 'ui:bob'),
      (err: unknown) => err instanceof LifecycleError && err.code === 'not_found',
    );
    // Refusals changed nothing.
    assert.equal(lc.getTurn(done)?.status, 'delivered');
    assert.equal(lc.getTurn(delivered)?.status, 'delivery_pending');
    assert.equal(lc.getTurn(queued)?.status, 'delivery_pending');
    assert.deepEqual(
      lc.auditTrail().map((e) => e.entityId),
      [held],
      'only the action that happened is in the audit trail',
    );
  } finally {
    other.close();
    lc.close();
  }
});

test('operator retry makes a pending row due now; refused for done rows', () => {
  const { lc, clock } = openTemp();
  try {
    const r = row(lc, turn(lc));
    lc.fail(r, { error: 'HTTP 502', errorClass: 'retryable' });
    assert.ok(lc.getRow(r)!.nextAttemptAt > clock.t);
    lc.operatorRetry(r, 'api:carol');
    const after = lc.getRow(r)!;
    assert.equal(after.status, 'failed_retryable');
    assert.equal(after.nextAttemptAt, clock.t);
    assert.equal(after.attemptCount, 1, 'a retry request is not an attempt');
    const e = lc.auditTrail(1)[0]!;
    assert.equal(e.by, 'api:carol');
    assert.equal(e.reason, 'retry now requested by operator');

    const done = row(lc, null);
    lc.ack(done);
    invalidState(() => lc.operatorRetry(done, 'api:carol'), /delivered/);
    assert.equal(lc.getRow(done)?.status, 'delivered');
  } finally {
    lc.close();
  }
});

test('operator terminate ends a pending row (operator_terminated) and finalizes its turn; refused for done rows', () => {
  const { lc } = openTemp();
  try {
    const t = turn(lc);
    const r = row(lc, t);
    lc.operatorTerminate(r, 'cli:dave');
    const x = lc.getRow(r)!;
    assert.equal(x.status, 'failed_terminal');
    assert.equal(x.terminalReason, 'operator_terminated');
    assert.equal(lc.getTurn(t)?.status, 'failed_terminal', 'its only final row is done: the turn is decided');
    const audit = lc.auditTrail();
    assert.ok(audit.some((e) => e.entityId === r && e.reason === 'operator_terminated' && e.by === 'cli:dave'));
    assert.ok(audit.some((e) => e.entityId === t && e.toStatus === 'failed_terminal' && e.by === 'cli:dave'));

    invalidState(() => lc.operatorTerminate(r, 'cli:dave'), /failed_terminal/);
    const delivered = row(lc, null);
    lc.ack(delivered);
    invalidState(() => lc.operatorTerminate(delivered, 'cli:dave'));
    assert.equal(lc.getRow(delivered)?.status, 'delivered');

    // Terminating a tool row does not decide its turn.
    const u = turn(lc);
    lc.operatorTerminate(row(lc, u, 'tool'), 'cli:dave');
    assert.equal(lc.getTurn(u)?.status, 'running');
  } finally {
    lc.close();
  }
});

test('operator prune deletes what is past retention and is recorded as an action', () => {
  const { lc, clock } = openTemp();
  try {
    const t = turn(lc);
    lc.finalize(t, { noReply: 'x' });
    clock.advance(lc.core.config.retentionMs + 1);
    const result = lc.operatorPrune('cli:erin');
    assert.equal(result.turns, 1);
    assert.equal(lc.getTurn(t), undefined);
    const e = lc.auditTrail(1)[0]!;
    assert.equal(e.kind, 'action');
    assert.equal(e.by, 'cli:erin');
    assert.equal(e.reason, 'pruned 1 turns and 0 outbox rows');
  } finally {
    lc.close();
  }
});
