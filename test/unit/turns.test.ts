// Turns (SPEC, "Turn state machine"): accept → running → delivery_pending → delivered, inbound
// dedupe, resumed turns, live failures with backoff, terminal turns never change.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RecoveryWorker, type AcceptInput } from '../../main/lifecycle';
import { ROUTE, openPeer, openTemp } from '../helpers/temp-db';
import { SqliteStore } from '../../main/store/sqlite/store';

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

test('accept inserts an accepted turn with its fields and a history entry', () => {
  const { lc, clock } = openTemp();
  try {
    const r = lc.accept(
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
    const h = lc.history('t-1');
    assert.equal(h.length, 1);
    assert.equal(h[0]!.toStatus, 'accepted');
    assert.equal(h[0]!.actor, 'gateway');
    // A payload given as a JSON string is stored as is.
    const s = lc.accept(inbound({ payload: '{"raw":true}' }));
    assert.equal(s.turn.payload, '{"raw":true}');
  } finally {
    lc.close();
  }
});

test('(8) accepted is observable before running: another connection sees it between accept and markRunning', () => {
  const temp = openTemp();
  const observer = openPeer(temp);
  try {
    const { turn } = temp.lc.accept(inbound());
    assert.equal(observer.getTurn(turn.id)?.status, 'accepted');
    assert.equal(observer.status().turns.accepted, 1);
    assert.equal(temp.lc.markRunning(turn.id), true);
    assert.equal(observer.getTurn(turn.id)?.status, 'running');
    assert.equal(observer.status().turns.accepted, 0);
    assert.deepEqual(
      observer.history(turn.id).map((h) => h.toStatus),
      ['accepted', 'running'],
    );
  } finally {
    observer.close();
    temp.lc.close();
  }
});

test('(9) a duplicate inbound message (same dedupeKey) is not a second turn', () => {
  const { lc } = openTemp();
  try {
    const first = lc.accept(inbound({ dedupeKey: 'tg:bot:chat-1:7' }));
    const second = lc.accept(inbound({ dedupeKey: 'tg:bot:chat-1:7', payload: { text: 'again' } }));
    assert.equal(first.outcome, 'accepted');
    assert.equal(second.outcome, 'duplicate');
    assert.equal(second.turn.id, first.turn.id);
    assert.equal(second.turn.payload, first.turn.payload);
    assert.equal((lc.db.prepare('SELECT count(*) AS n FROM message_turns').get() as { n: number }).n, 1);
    // Nothing silent: the ignored duplicate is on the turn's timeline.
    assert.ok(lc.history(first.turn.id).some((h) => h.reason === 'duplicate inbound message ignored'));
    // Same for a repeated id, and after the turn is done.
    lc.markRunning(first.turn.id);
    lc.finalize(first.turn.id, { noReply: 'test' });
    assert.equal(lc.accept(inbound({ id: first.turn.id })).outcome, 'duplicate');
    assert.equal(lc.accept(inbound({ dedupeKey: 'tg:bot:chat-1:7' })).outcome, 'duplicate');
    // Turns without a dedupe key are never duplicates of each other.
    assert.equal(lc.accept(inbound()).outcome, 'accepted');
    assert.equal(lc.accept(inbound()).outcome, 'accepted');
  } finally {
    lc.close();
  }
});

test('(9) a resumed turn (resume: true, same id/dedupeKey, non-terminal) is resumed, not dropped as a duplicate', () => {
  const { lc } = openTemp();
  try {
    const { turn } = lc.accept(inbound({ id: 'r-1', dedupeKey: 'k-1' }));
    lc.markRunning(turn.id);
    lc.recordFailure(turn.id, 'crashed');
    const byId = lc.accept(inbound({ id: 'r-1', dedupeKey: 'k-1', resume: true }));
    assert.equal(byId.outcome, 'resumed');
    assert.equal(byId.turn.id, 'r-1');
    const byKey = lc.accept(inbound({ dedupeKey: 'k-1', resume: true }));
    assert.equal(byKey.outcome, 'resumed');
    assert.equal(byKey.turn.id, 'r-1');
    assert.equal(lc.markRunning('r-1'), true);
    // A terminal turn is never resumed: it is a duplicate.
    lc.finalize('r-1', { noReply: 'done' });
    assert.equal(lc.accept(inbound({ id: 'r-1', dedupeKey: 'k-1', resume: true })).outcome, 'duplicate');
  } finally {
    lc.close();
  }
});

test('markRunning moves accepted and failed_retryable to running, and nothing else', () => {
  const { lc } = openTemp();
  try {
    const a = lc.accept(inbound()).turn;
    assert.equal(lc.markRunning(a.id), true);
    assert.equal(lc.getTurn(a.id)?.status, 'running');
    assert.equal(lc.markRunning(a.id), true, 'renewing a running turn is fine');
    lc.recordFailure(a.id, 'boom');
    assert.equal(lc.getTurn(a.id)?.status, 'failed_retryable');
    assert.equal(lc.markRunning(a.id), true);
    assert.equal(lc.getTurn(a.id)?.status, 'running');
    lc.finalize(a.id, { noReply: 'nothing to say' });
    assert.equal(lc.getTurn(a.id)?.status, 'delivered');
    assert.equal(lc.markRunning(a.id), false, 'a terminal turn never changes again');
    assert.equal(lc.getTurn(a.id)?.status, 'delivered');
    assert.equal(lc.markRunning('no-such-turn'), false);
  } finally {
    lc.close();
  }
});

test('enqueueing a final reply moves the turn to delivery_pending; a tool message does not', () => {
  const { lc } = openTemp();
  try {
    const t = lc.accept(inbound()).turn;
    lc.markRunning(t.id);
    lc.enqueue({ turnId: t.id, channel: 'telegram', target: 'chat-1', dispatchKind: 'tool', payload: { text: '…' } });
    assert.equal(lc.getTurn(t.id)?.status, 'running');
    lc.enqueue({
      turnId: t.id,
      channel: 'telegram',
      target: 'chat-1',
      dispatchKind: 'final',
      payload: { text: 'answer' },
    });
    assert.equal(lc.getTurn(t.id)?.status, 'delivery_pending');
  } finally {
    lc.close();
  }
});

test('a live failure records attempt_count+1 and backoff; it is not left running for an immediate silent replay', async () => {
  const { lc, clock } = openTemp({ config: { turnBackoffMs: 15_000, turnMaxAttempts: 3 } });
  const replayed: string[] = [];
  const worker = new RecoveryWorker(new SqliteStore(lc), {
    replay: async (turn) => {
      replayed.push(turn.id);
      return { noReply: 'test' };
    },
  });
  try {
    const t = lc.accept(inbound()).turn;
    lc.markRunning(t.id);
    assert.equal(lc.recordFailure(t.id, 'agent threw: out of tokens'), 'failed_retryable');
    const after = lc.getTurn(t.id)!;
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
    assert.equal(lc.getTurn(t.id)?.status, 'delivered');
  } finally {
    await worker.stop();
    lc.close();
  }
});

test('live failures reach failed_terminal at turnMaxAttempts; a terminal turn ignores later failures', () => {
  const { lc } = openTemp({ config: { turnMaxAttempts: 3 } });
  try {
    const t = lc.accept(inbound()).turn;
    assert.equal(lc.recordFailure(t.id, 'e1'), 'failed_retryable');
    assert.equal(lc.recordFailure(t.id, 'e2'), 'failed_retryable');
    assert.equal(lc.recordFailure(t.id, 'e3'), 'failed_terminal');
    const done = lc.getTurn(t.id)!;
    assert.equal(done.status, 'failed_terminal');
    assert.equal(done.attemptCount, 3);
    assert.match(done.terminalReason ?? '', /e3/);
    assert.notEqual(done.completedAt, null);
    assert.equal(lc.recordFailure(t.id, 'late'), null);
    assert.deepEqual(lc.getTurn(t.id), done);
  } finally {
    lc.close();
  }
});
