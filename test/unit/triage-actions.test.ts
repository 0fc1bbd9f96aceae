// Dead letters and bulk batches (issue 11): resend of a dead row and replay of a dead turn as a
// new one — linked both ways, a repeat creates nothing, refused where it makes no sense, and the
// recovery worker of the very process that made them sends/replays them; every action records
// its name and the person's reason; a bulk batch is one transaction with a per-id outcome.
import assert from 'node:assert/strict';
import { LifecycleError, RecoveryWorker } from '../../main/lifecycle';
import type { LifecycleStore } from '../../main/store/contract';
import { replayKey, resendKey, type BulkJob } from '../../shared/triage';
import { replayPass } from '../helpers/replay-pass';
import { eachBackend } from '../helpers/backends';
import { queuedRow, runningTurn } from '../helpers/store-rows';

async function refused(fn: () => Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(fn, (err: unknown) => {
    assert.ok(err instanceof LifecycleError, String(err));
    assert.equal(err.code, 'invalid_state', err.message);
    assert.match(err.message, pattern);
    return true;
  });
}

/** A turn whose only final row failed for good: both dead. */
async function deadTurnAndRow(store: LifecycleStore, session = 'S'): Promise<{ turn: string; row: string }> {
  const turn = await runningTurn(store, session);
  const row = await queuedRow(store, turn, 'final', true, { text: 'the answer' });
  await store.fail(row, { error: '403 Forbidden: bot was blocked by the user', errorClass: 'terminal' });
  await store.finalize(turn, {});
  return { turn, row };
}

eachBackend(
  'resend: a new linked row, a repeat creates nothing, the worker of this process delivers it once',
  async ({ store, clock }) => {
    const { turn, row } = await deadTurnAndRow(store);
    assert.equal((await store.getRow(row))!.status, 'failed_terminal');
    assert.equal((await store.getTurn(turn))!.status, 'failed_terminal');
    clock.advance(1_000);
    const first = await store.operatorResend(row, 'ui:alice', 'user unblocked the bot');
    assert.equal(first.created, true);
    const original = (await store.getRow(row))!;
    assert.deepEqual(
      {
        turnId: first.row.turnId,
        kind: first.row.dispatchKind,
        channel: first.row.channel,
        target: first.row.target,
        payload: JSON.parse(first.row.payload),
        status: first.row.status,
        resendOf: first.row.resendOf,
        key: first.row.idempotencyKey,
      },
      {
        turnId: null,
        kind: null,
        channel: original.channel,
        target: original.target,
        payload: { text: 'the answer' },
        status: 'queued',
        resendOf: row,
        key: resendKey(row),
      },
    );
    assert.equal(original.status, 'failed_terminal', 'a terminal row never changes');
    const again = await store.operatorResend(row, 'ui:alice');
    assert.deepEqual([again.created, again.row.id], [false, first.row.id]);

    // Linked both ways, with the action and the reason.
    const detail = await store.turnDetail(turn);
    assert.deepEqual(
      detail.outbox.map((r) => r.id),
      [row, first.row.id],
    );
    const link = detail.history.find((h) => h.entityId === row && h.reason === `resent as ${first.row.id}`);
    assert.ok(link, 'the original says what it was resent as');
    assert.deepEqual(
      [link.action, link.note, link.by, link.actor],
      ['resend', 'user unblocked the bot', 'ui:alice', 'operator'],
    );
    const back = detail.history.find((h) => h.entityId === first.row.id && h.toStatus === 'queued');
    assert.equal(back?.reason, `resend of ${row}`);

    const delivered: string[] = [];
    const worker = new RecoveryWorker(store, {
      deliver: async (r) => {
        delivered.push(r.id);
      },
    });
    await worker.runOnce();
    clock.advance(60_000);
    await worker.runOnce();
    await worker.stop();
    assert.deepEqual(delivered, [first.row.id]);
    assert.equal((await store.getRow(first.row.id))!.status, 'delivered');
    assert.equal((await store.getTurn(turn))!.status, 'failed_terminal', 'a resend never re-decides its turn');
  },
);

eachBackend('resend is refused for a row that is not dead and for a row of an aborted turn', async ({ store }) => {
  const t = await runningTurn(store, 'A');
  const pending = await queuedRow(store, t);
  await refused(() => store.operatorResend(pending, 'ui:alice'), /waiting to be sent.*failed for good or expired/);
  await store.operatorAbort('A', 'ui:alice');
  await refused(() => store.operatorResend(pending, 'ui:alice'), /aborted/);
  await assert.rejects(() => store.operatorResend('no-such-row', 'ui:alice'), { code: 'not_found' });
});

eachBackend(
  'replay as new: a linked resumed turn, a repeat creates nothing, the worker replays it',
  async ({ store, clock }) => {
    const { turn } = await deadTurnAndRow(store, 'chat-7');
    clock.advance(1_000);
    const first = await store.operatorReplayAsNew(turn, 'ui:bob', 'model fixed');
    assert.equal(first.created, true);
    const original = (await store.getTurn(turn))!;
    assert.deepEqual(
      [
        first.turn.status,
        first.turn.replayOf,
        first.turn.dedupeKey,
        first.turn.sessionKey,
        first.turn.payload,
        first.turn.routeTo,
      ],
      ['accepted', turn, replayKey(turn), original.sessionKey, original.payload, original.routeTo],
    );
    assert.equal(original.status, 'failed_terminal');
    assert.deepEqual((await store.operatorReplayAsNew(turn, 'ui:bob')).turn.id, first.turn.id);
    const detail = await store.turnDetail(turn);
    assert.deepEqual(detail.replayedAs, [first.turn.id]);
    const link = detail.history.find((h) => h.reason === `replayed as new turn ${first.turn.id}`);
    assert.deepEqual([link?.action, link?.note], ['replay-as-new', 'model fixed']);
    const back = (await store.history(first.turn.id)).find((h) => h.toStatus === 'accepted');
    assert.equal(back?.reason, `replay of turn ${turn}`);

    assert.deepEqual(await replayPass(store), [first.turn.id]);
    assert.equal((await store.getTurn(first.turn.id))!.status, 'delivered');
  },
);

eachBackend(
  'replay as new is refused for a delivered turn and an open one; allowed for an aborted one',
  async ({ store }) => {
    const open = await runningTurn(store, 'O');
    await refused(() => store.operatorReplayAsNew(open, 'ui:bob'), /being answered.*failed for good or was aborted/);
    const done = await runningTurn(store, 'D');
    await store.finalize(done, { finalSendsOutsideOutbox: 1 });
    await refused(() => store.operatorReplayAsNew(done, 'ui:bob'), /is delivered/);
    await store.operatorAbort('O', 'ui:bob');
    assert.equal((await store.operatorReplayAsNew(open, 'ui:bob')).created, true);
  },
);

eachBackend('every operator action records its name and the reason given', async ({ store, sql }) => {
  const t = await runningTurn(store, 'N');
  const r1 = await queuedRow(store, t, 'tool');
  const r2 = await queuedRow(store, t, 'tool');
  await store.operatorRetry(r1, 'ui:carol', 'platform back up');
  await store.operatorTerminate(r2, 'ui:carol', 'duplicate');
  await store.operatorAbort('N', 'ui:carol', 'user asked');
  await store.operatorPrune('ui:carol', 'disk full');
  const rows = await sql<{ action: string; note: string | null }>(
    "SELECT action, note FROM message_history WHERE actor = 'operator' ORDER BY id",
  );
  const seen = new Map(rows.map((r) => [r.action, r.note]));
  assert.deepEqual(Object.fromEntries(seen), {
    retry: 'platform back up',
    terminate: 'duplicate',
    abort: 'user asked',
    prune: 'disk full',
  });
});

eachBackend(
  'a bulk batch: one transaction, each id re-checked, per-row entries carry the job; one audit entry',
  async ({ store, sql }) => {
    const t = await runningTurn(store, 'B');
    const rows = [
      await queuedRow(store, t, 'tool'),
      await queuedRow(store, t, 'tool'),
      await queuedRow(store, t, 'tool'),
    ];
    await store.operatorTerminate(rows[2]!, 'ui:dan');
    const outcomes = await store.operatorBatch(
      'retry',
      [rows[0]!, rows[1]!, rows[2]!, 'missing'],
      'ui:dan',
      'outage over',
      'job-1',
    );
    assert.deepEqual(
      outcomes.map((o) => [o.id, o.ok, o.code ?? null]),
      [
        [rows[0], true, null],
        [rows[1], true, null],
        [rows[2], false, 'invalid_state'],
        ['missing', false, 'not_found'],
      ],
    );
    assert.match(outcomes[2]!.error!, /failed for good|only queued or failed_retryable/);
    const perRow = await sql<{ entity_id: string; note: string }>(
      "SELECT entity_id, note FROM message_history WHERE job_id = 'job-1' ORDER BY id",
    );
    assert.deepEqual(perRow, [
      { entity_id: rows[0], note: 'outage over' },
      { entity_id: rows[1], note: 'outage over' },
    ]);
    const { dead } = await deadTurnAndRow(store, 'B2').then(async (d) => ({ dead: d.row }));
    const made = await store.operatorBatch('resend', [dead, dead], 'ui:dan', undefined, 'job-2');
    assert.equal(made[0]!.created, made[1]!.created, 'a repeat inside one batch finds the first');
    assert.equal((await sql('SELECT id FROM message_outbox WHERE resend_of = ?', [dead])).length, 1);
    const job: BulkJob = {
      id: 'job-1',
      action: 'retry',
      list: 'outbox',
      filter: { channel: 'telegram' },
      filterText: 'channel telegram',
      reason: 'outage over',
      by: 'ui:dan',
      total: 4,
      done: 2,
      refused: 2,
      refusals: [],
      state: 'done',
      startedAt: 0,
      finishedAt: 1,
      error: null,
    };
    await store.recordBulkJob(job);
    const audit = await sql<{ entity_id: string; reason: string; note: string; action: string }>(
      "SELECT entity_id, reason, note, action FROM message_history WHERE action = 'bulk'",
    );
    assert.deepEqual(audit, [
      {
        entity_id: 'job-1',
        reason: 'bulk retry by filter (channel telegram): 2 done, 2 refused',
        note: 'outage over',
        action: 'bulk',
      },
    ]);
  },
);
