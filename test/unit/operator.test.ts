// Operator actions (SPEC, "Operator actions"): abort, replay, retry, terminate, prune; each one
// transaction, refused with invalid_state where it makes no sense, recorded with who/what/when.
// Every case runs on both backends (helpers/backends.ts).
import assert from 'node:assert/strict';
import { LifecycleError } from '../../main/lifecycle';
import { eachBackend } from '../helpers/backends';
import { replayPass } from '../helpers/replay-pass';
import { queuedRow, runningTurn } from '../helpers/store-rows';

async function invalidState(fn: () => Promise<unknown>, pattern?: RegExp): Promise<void> {
  await assert.rejects(
    async () => fn(),
    (err: unknown) => {
      assert.ok(err instanceof LifecycleError, String(err));
      assert.equal(err.code, 'invalid_state', err.message);
      if (pattern) assert.match(err.message, pattern);
      return true;
    },
  );
}

const turn = runningTurn;
const row = queuedRow;

eachBackend(
  'operator abort: aborts the session, is recorded with actor operator and by; refused when nothing is open',
  async ({ store, clock }) => {
    const t = await turn(store, 'S');
    const r = await row(store, t);
    clock.advance(5);
    const result = await store.operatorAbort('S', 'cli:alice');
    assert.equal(result.turns, 1);
    assert.equal(result.outbox, 1);
    assert.equal((await store.getTurn(t))?.terminalReason, 'aborted by cli:alice');
    assert.equal((await store.getRow(r))?.terminalReason, 'turn_aborted');
    const audit = (await store.auditTrail()).items;
    assert.ok(audit.length >= 2);
    for (const e of audit) {
      assert.equal(e.actor, 'operator');
      assert.equal(e.by, 'cli:alice');
      assert.equal(e.at, clock.t);
    }
    assert.ok(audit.some((e) => e.entityId === t && e.toStatus === 'aborted'));
    assert.ok(audit.some((e) => e.entityId === r && e.toStatus === 'failed_terminal'));
    await invalidState(() => store.operatorAbort('S', 'cli:alice'), /no open turns/);
    await invalidState(() => store.operatorAbort('never-seen', 'cli:alice'));
  },
);

eachBackend(
  'operator replay re-arms a turn (failed_retryable, due now) and the worker replays it',
  async ({ store, clock }) => {
    const t = await turn(store);
    await store.recordFailure(t, 'agent crashed');
    assert.ok((await store.getTurn(t))!.nextAttemptAt > clock.t);
    clock.advance(1_000);
    await store.operatorReplay(t, 'ui:bob');
    const armed = (await store.getTurn(t))!;
    assert.equal(armed.status, 'failed_retryable');
    assert.equal(armed.nextAttemptAt, clock.t);
    const e = (await store.auditTrail({ limit: 1 })).items[0]!;
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
    assert.deepEqual(await replayPass(store), [t]);
    assert.equal((await store.getTurn(t))?.status, 'delivered');
  },
);

eachBackend(
  'operator replay is refused for terminal turns, turns with a delivered or queued final reply, and turns held by another process',
  async (c) => {
    const { store, clock } = c;
    const other = await c.peer({ owner: 'gateway-2', config: { liveLeaseMs: 60_000 } });
    const done = await turn(store);
    await store.finalize(done, { noReply: 'x' });
    await invalidState(() => store.operatorReplay(done, 'ui:bob'), /terminal/);

    const delivered = await turn(store);
    await store.ack(await row(store, delivered));
    await invalidState(() => store.operatorReplay(delivered, 'ui:bob'), /delivered final reply/);

    const queued = await turn(store);
    await row(store, queued);
    await invalidState(() => store.operatorReplay(queued, 'ui:bob'), /still queued/);

    const held = await turn(other);
    await invalidState(() => store.operatorReplay(held, 'ui:bob'), /being processed by gateway-2/);
    clock.advance(60_001);
    await store.operatorReplay(held, 'ui:bob'); // the other process's lease ran out

    await assert.rejects(
      async () => store.operatorReplay('missing', 'ui:bob'),
      (err: unknown) => err instanceof LifecycleError && err.code === 'not_found',
    );
    // Refusals changed nothing.
    assert.equal((await store.getTurn(done))?.status, 'delivered');
    assert.equal((await store.getTurn(delivered))?.status, 'delivery_pending');
    assert.equal((await store.getTurn(queued))?.status, 'delivery_pending');
    assert.deepEqual(
      (await store.auditTrail()).items.map((e) => e.entityId),
      [held],
      'only the action that happened is in the audit trail',
    );
  },
  { config: { liveLeaseMs: 60_000 } },
);

eachBackend('operator retry makes a pending row due now; refused for done rows', async ({ store, clock }) => {
  const r = await row(store, await turn(store));
  await store.fail(r, { error: 'HTTP 502', errorClass: 'retryable' });
  assert.ok((await store.getRow(r))!.nextAttemptAt > clock.t);
  await store.operatorRetry(r, 'api:carol');
  const after = (await store.getRow(r))!;
  assert.equal(after.status, 'failed_retryable');
  assert.equal(after.nextAttemptAt, clock.t);
  assert.equal(after.attemptCount, 1, 'a retry request is not an attempt');
  const e = (await store.auditTrail({ limit: 1 })).items[0]!;
  assert.equal(e.by, 'api:carol');
  assert.equal(e.reason, 'retry now requested by operator');

  const done = await row(store, null);
  await store.ack(done);
  await invalidState(() => store.operatorRetry(done, 'api:carol'), /delivered/);
  assert.equal((await store.getRow(done))?.status, 'delivered');
});

eachBackend(
  'operator terminate ends a pending row (operator_terminated) and finalizes its turn; refused for done rows',
  async ({ store }) => {
    const t = await turn(store);
    const r = await row(store, t);
    await store.operatorTerminate(r, 'cli:dave');
    const x = (await store.getRow(r))!;
    assert.equal(x.status, 'failed_terminal');
    assert.equal(x.terminalReason, 'operator_terminated');
    assert.equal(
      (await store.getTurn(t))?.status,
      'failed_terminal',
      'its only final row is done: the turn is decided',
    );
    const audit = (await store.auditTrail()).items;
    assert.ok(audit.some((e) => e.entityId === r && e.reason === 'operator_terminated' && e.by === 'cli:dave'));
    assert.ok(audit.some((e) => e.entityId === t && e.toStatus === 'failed_terminal' && e.by === 'cli:dave'));

    await invalidState(() => store.operatorTerminate(r, 'cli:dave'), /failed_terminal/);
    const delivered = await row(store, null);
    await store.ack(delivered);
    await invalidState(() => store.operatorTerminate(delivered, 'cli:dave'));
    assert.equal((await store.getRow(delivered))?.status, 'delivered');

    // Terminating a tool row does not decide its turn.
    const u = await turn(store);
    await store.operatorTerminate(await row(store, u, 'tool'), 'cli:dave');
    assert.equal((await store.getTurn(u))?.status, 'running');
  },
);

eachBackend('operator prune deletes what is past retention and is recorded as an action', async ({ store, clock }) => {
  const t = await turn(store);
  await store.finalize(t, { noReply: 'x' });
  clock.advance(store.config.retentionMs + 1);
  const result = await store.operatorPrune('cli:erin');
  assert.equal(result.turns, 1);
  assert.equal(await store.getTurn(t), undefined);
  const e = (await store.auditTrail({ limit: 1 })).items[0]!;
  assert.equal(e.kind, 'action');
  assert.equal(e.by, 'cli:erin');
  assert.equal(e.reason, 'pruned 1 turns and 0 outbox rows');
});
