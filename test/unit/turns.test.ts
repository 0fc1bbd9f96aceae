// Turns (SPEC, "Turn state machine"): accept → running → delivery_pending → delivered, inbound
// dedupe, resumed turns, live failures with backoff, terminal turns never change. Every case
// runs on both backends (helpers/backends.ts).
import assert from 'node:assert/strict';
import { RecoveryWorker, type AcceptInput } from '../../main/lifecycle';
import { eachBackend } from '../helpers/backends';
import { ROUTE } from '../helpers/temp-db';

function inbound(over: Partial<AcceptInput> = {}): AcceptInput {
  return {
    channel: 'telegram',
    accountId: 'bot',
    sessionKey: 'tg:chat-1',
    payload: { text: 'hello' },
    route: ROUTE,
    ...over,
  };
}

eachBackend('accept inserts an accepted turn with its fields and a history entry', async ({ store, clock }) => {
  const r = await store.accept(
    inbound({
      id: 't-1',
      externalId: 'm-100',
      dedupeKey: 'tg:bot:chat-1:100',
      route: { channel: 'telegram', to: 'chat-1', accountId: 'bot', threadId: 'th', replyToId: 'm-100' },
    }),
  );
  assert.equal(r.outcome, 'accepted');
  assert.equal(r.turn.id, 't-1');
  assert.equal(r.turn.status, 'accepted');
  assert.equal(r.turn.acceptedAt, clock.t);
  assert.equal(r.turn.attemptCount, 0);
  assert.equal(r.turn.payload, '{"text":"hello"}');
  assert.equal(r.turn.routeThreadId, 'th');
  assert.equal(r.turn.routeReplyToId, 'm-100');
  assert.equal(r.turn.completedAt, null);
  const h = await store.history('t-1');
  assert.equal(h.length, 1);
  assert.equal(h[0]!.toStatus, 'accepted');
  assert.equal(h[0]!.actor, 'gateway');
  // A payload given as a JSON string is stored as is.
  const s = await store.accept(inbound({ payload: '{"raw":true}' }));
  assert.equal(s.turn.payload, '{"raw":true}');
});

eachBackend(
  '(8) accepted is observable before running: another connection sees it between accept and markRunning',
  async (c) => {
    const observer = await c.peer();
    const { turn } = await c.store.accept(inbound());
    assert.equal((await observer.getTurn(turn.id))?.status, 'accepted');
    assert.equal((await observer.status()).turns.accepted, 1);
    assert.equal(await c.store.markRunning(turn.id), true);
    assert.equal((await observer.getTurn(turn.id))?.status, 'running');
    assert.equal((await observer.status()).turns.accepted, 0);
    assert.deepEqual(
      (await observer.history(turn.id)).map((h) => h.toStatus),
      ['accepted', 'running'],
    );
  },
);

eachBackend('(9) a duplicate inbound message (same dedupeKey) is not a second turn', async ({ store, sql }) => {
  const first = await store.accept(inbound({ dedupeKey: 'tg:bot:chat-1:7' }));
  const second = await store.accept(inbound({ dedupeKey: 'tg:bot:chat-1:7', payload: { text: 'again' } }));
  assert.equal(first.outcome, 'accepted');
  assert.equal(second.outcome, 'duplicate');
  assert.equal(second.turn.id, first.turn.id);
  assert.equal(second.turn.payload, first.turn.payload);
  assert.equal((await sql<{ n: number }>('SELECT count(*) AS n FROM message_turns'))[0]!.n, 1);
  // Nothing silent: the ignored duplicate is on the turn's timeline.
  assert.ok((await store.history(first.turn.id)).some((h) => h.reason === 'duplicate inbound message ignored'));
  // Same for a repeated id, and after the turn is done.
  await store.markRunning(first.turn.id);
  await store.finalize(first.turn.id, { noReply: 'test' });
  assert.equal((await store.accept(inbound({ id: first.turn.id }))).outcome, 'duplicate');
  assert.equal((await store.accept(inbound({ dedupeKey: 'tg:bot:chat-1:7' }))).outcome, 'duplicate');
  // Turns without a dedupe key are never duplicates of each other.
  assert.equal((await store.accept(inbound())).outcome, 'accepted');
  assert.equal((await store.accept(inbound())).outcome, 'accepted');
});

eachBackend(
  '(9) a resumed turn (resume: true, same id/dedupeKey, non-terminal) is resumed, not dropped as a duplicate',
  async ({ store }) => {
    const { turn } = await store.accept(inbound({ id: 'r-1', dedupeKey: 'k-1' }));
    await store.markRunning(turn.id);
    await store.recordFailure(turn.id, 'crashed');
    const byId = await store.accept(inbound({ id: 'r-1', dedupeKey: 'k-1', resume: true }));
    assert.equal(byId.outcome, 'resumed');
    assert.equal(byId.turn.id, 'r-1');
    const byKey = await store.accept(inbound({ dedupeKey: 'k-1', resume: true }));
    assert.equal(byKey.outcome, 'resumed');
    assert.equal(byKey.turn.id, 'r-1');
    assert.equal(await store.markRunning('r-1'), true);
    // A terminal turn is never resumed: it is a duplicate.
    await store.finalize('r-1', { noReply: 'done' });
    assert.equal((await store.accept(inbound({ id: 'r-1', dedupeKey: 'k-1', resume: true }))).outcome, 'duplicate');
  },
);

eachBackend('markRunning moves accepted and failed_retryable to running, and nothing else', async ({ store }) => {
  const a = (await store.accept(inbound())).turn;
  assert.equal(await store.markRunning(a.id), true);
  assert.equal((await store.getTurn(a.id))?.status, 'running');
  assert.equal(await store.markRunning(a.id), true, 'renewing a running turn is fine');
  await store.recordFailure(a.id, 'boom');
  assert.equal((await store.getTurn(a.id))?.status, 'failed_retryable');
  assert.equal(await store.markRunning(a.id), true);
  assert.equal((await store.getTurn(a.id))?.status, 'running');
  await store.finalize(a.id, { noReply: 'nothing to say' });
  assert.equal((await store.getTurn(a.id))?.status, 'delivered');
  assert.equal(await store.markRunning(a.id), false, 'a terminal turn never changes again');
  assert.equal((await store.getTurn(a.id))?.status, 'delivered');
  assert.equal(await store.markRunning('no-such-turn'), false);
});

eachBackend(
  'enqueueing a final reply moves the turn to delivery_pending; a tool message does not',
  async ({ store }) => {
    const t = (await store.accept(inbound())).turn;
    await store.markRunning(t.id);
    await store.enqueue({
      turnId: t.id,
      channel: 'telegram',
      target: 'chat-1',
      dispatchKind: 'tool',
      payload: { text: '…' },
    });
    assert.equal((await store.getTurn(t.id))?.status, 'running');
    await store.enqueue({
      turnId: t.id,
      channel: 'telegram',
      target: 'chat-1',
      dispatchKind: 'final',
      payload: { text: 'answer' },
    });
    assert.equal((await store.getTurn(t.id))?.status, 'delivery_pending');
  },
);

eachBackend(
  'a live failure records attempt_count+1 and backoff; it is not left running for an immediate silent replay',
  async ({ store, clock }) => {
    const replayed: string[] = [];
    const worker = new RecoveryWorker(store, {
      replay: async (turn) => {
        replayed.push(turn.id);
        return { noReply: 'test' };
      },
    });
    try {
      const t = (await store.accept(inbound())).turn;
      await store.markRunning(t.id);
      assert.equal(await store.recordFailure(t.id, 'agent threw: out of tokens'), 'failed_retryable');
      const after = (await store.getTurn(t.id))!;
      assert.equal(after.status, 'failed_retryable');
      assert.equal(after.attemptCount, 1);
      assert.equal(after.nextAttemptAt, clock.t + 15_000);
      assert.equal(after.terminalReason, 'agent threw: out of tokens');
      assert.equal(after.claimOwner, null, 'the live hold is released');

      await worker.runOnce();
      assert.deepEqual(replayed, [], 'not replayed before its backoff');
      clock.advance(15_000);
      await worker.runOnce();
      assert.deepEqual(replayed, [t.id], 'replayed once due');
      assert.equal((await store.getTurn(t.id))?.status, 'delivered');
    } finally {
      await worker.stop();
    }
  },
  { config: { turnBackoffMs: 15_000, turnMaxAttempts: 3 } },
);

eachBackend(
  'live failures reach failed_terminal at turnMaxAttempts; a terminal turn ignores later failures',
  async ({ store }) => {
    const t = (await store.accept(inbound())).turn;
    assert.equal(await store.recordFailure(t.id, 'e1'), 'failed_retryable');
    assert.equal(await store.recordFailure(t.id, 'e2'), 'failed_retryable');
    assert.equal(await store.recordFailure(t.id, 'e3'), 'failed_terminal');
    const done = (await store.getTurn(t.id))!;
    assert.equal(done.status, 'failed_terminal');
    assert.equal(done.attemptCount, 3);
    assert.match(done.terminalReason ?? '', /e3/);
    assert.notEqual(done.completedAt, null);
    assert.equal(await store.recordFailure(t.id, 'late'), null);
    assert.deepEqual(await store.getTurn(t.id), done);
  },
  { config: { turnMaxAttempts: 3 } },
);
