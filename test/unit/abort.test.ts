// Abort (SPEC, "Abort"): in ONE transaction, every open turn of the session aborted and every
// pending row of those turns failed_terminal/turn_aborted; nothing of them is sent afterwards.
// The cases run on both backends (helpers/backends.ts), except the two that fail an abort
// between its two updates: they need the SQLite core's AbortHooks seam.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { RecoveryWorker, type Lifecycle } from '../../main/lifecycle';
import type { LifecycleStore } from '../../main/store/contract';
import { SqliteStore } from '../../main/store/sqlite/store';
import { eachBackend } from '../helpers/backends';
import { ROUTE, openPeer, openTemp } from '../helpers/temp-db';

const CHILD = path.join(__dirname, '..', 'helpers', 'child.js');

async function turnWithRows(store: LifecycleStore, sessionKey: string): Promise<{ turnId: string; rows: string[] }> {
  const { turn } = await store.accept({ channel: 'telegram', sessionKey, payload: { text: 'q' }, route: ROUTE });
  await store.markRunning(turn.id);
  const rows: string[] = [];
  for (const kind of ['tool', 'final'] as const) {
    const { row } = await store.enqueue({
      turnId: turn.id,
      channel: 'telegram',
      target: 'chat-1',
      dispatchKind: kind,
      payload: { kind },
      live: false,
    });
    rows.push(row.id);
  }
  return { turnId: turn.id, rows };
}

/** The same on the sync SQLite core, for the SQLite-only cases below. */
function turnWithRowsSync(lc: Lifecycle, sessionKey: string): { turnId: string; rows: string[] } {
  const { turn } = lc.accept({ channel: 'telegram', sessionKey, payload: { text: 'q' }, route: ROUTE });
  lc.markRunning(turn.id);
  const rows = (['tool', 'final'] as const).map(
    (kind) =>
      lc.enqueue({
        turnId: turn.id,
        channel: 'telegram',
        target: 'chat-1',
        dispatchKind: kind,
        payload: { kind },
        live: false,
      }).row.id,
  );
  return { turnId: turn.id, rows };
}

eachBackend(
  'abortSession aborts every open turn of the session and cancels their pending rows, and reports both counts',
  async ({ store, clock }) => {
    const a = await turnWithRows(store, 'S');
    const b = await turnWithRows(store, 'S');
    await store.fail(b.rows[0]!, { error: 'x', errorClass: 'retryable' }); // failed_retryable is cancelled too
    const done = await turnWithRows(store, 'S');
    await store.ack(done.rows[1]!);
    await store.finalize(done.turnId); // delivered: terminal, untouched
    const other = await turnWithRows(store, 'other-session');
    clock.advance(10);

    const result = await store.abortSession('S');
    assert.equal(result.turns, 2);
    assert.equal(result.outbox, 4, "a's two rows and b's two rows; not the rows of turns already done");
    assert.deepEqual([...result.turnIds].sort(), [a.turnId, b.turnId].sort());
    for (const t of [a, b]) {
      const turn = (await store.getTurn(t.turnId))!;
      assert.equal(turn.status, 'aborted');
      assert.equal(turn.completedAt, clock.t);
      for (const id of t.rows) {
        const r = (await store.getRow(id))!;
        assert.equal(r.status, 'failed_terminal');
        assert.equal(r.terminalReason, 'turn_aborted');
        assert.equal(r.completedAt, clock.t);
      }
      const h = await store.history(t.turnId);
      assert.ok(h.some((e) => e.kind === 'turn' && e.toStatus === 'aborted'));
      assert.ok(h.some((e) => e.kind === 'outbox' && e.reason === 'turn_aborted'));
    }
    assert.equal((await store.getTurn(done.turnId))?.status, 'delivered');
    assert.equal((await store.getRow(done.rows[1]!))?.status, 'delivered');
    assert.equal(
      (await store.getRow(done.rows[0]!))?.status,
      'queued',
      'a row of a turn that was not aborted is not cancelled',
    );
    assert.equal((await store.getTurn(other.turnId))?.status, 'delivery_pending');
    for (const id of other.rows) assert.equal((await store.getRow(id))?.status, 'queued');
    // Aborting again finds nothing.
    assert.deepEqual(await store.abortSession('S'), { turns: 0, outbox: 0, turnIds: [] });
  },
);

// SQLite only: fails the abort between its updates through the core's AbortHooks seam, which
// the store contract does not have.
test('abort rolls back as a whole when it fails between its two updates', () => {
  const { lc } = openTemp();
  try {
    const t = turnWithRowsSync(lc, 'S');
    assert.throws(
      () =>
        lc.abortSession(
          'S',
          { actor: 'gateway' },
          {
            betweenUpdates: () => {
              throw new Error('boom');
            },
          },
        ),
      /boom/,
    );
    assert.equal(lc.getTurn(t.turnId)?.status, 'delivery_pending');
    assert.ok(t.rows.every((id) => lc.getRow(id)?.status === 'queued'));
    assert.ok(!lc.history(t.turnId).some((h) => h.toStatus === 'aborted'));
  } finally {
    lc.close();
  }
});

// SQLite only: the child process is killed inside the abort's transaction through the same
// AbortHooks seam (helpers/child.ts abort-crash).
test('(7) abort is one transaction: a process killed between its two updates leaves neither half; a normal abort then stops every send', async () => {
  const temp = openTemp();
  const { lc, file, clock } = temp;
  const victim = [turnWithRowsSync(lc, 'doomed'), turnWithRowsSync(lc, 'doomed')];
  const bystander = turnWithRowsSync(lc, 'bystander');
  lc.close();

  const child = spawnSync(process.execPath, [CHILD, 'abort-crash', file, 'doomed'], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(child.signal, 'SIGKILL', `the child should die by SIGKILL: ${child.stderr}`);
  assert.ok(!child.stdout.includes('abort committed'));

  clock.advance(10 * 60_000); // past every live lease: the rows are due for any worker
  const reopened = openPeer(temp, { owner: 'after-crash' });
  try {
    for (const t of victim) {
      assert.equal(reopened.getTurn(t.turnId)?.status, 'delivery_pending', 'the turn update was rolled back');
      for (const id of t.rows) assert.equal(reopened.getRow(id)?.status, 'queued', 'the row update was rolled back');
      assert.ok(!reopened.history(t.turnId).some((h) => h.toStatus === 'aborted'));
    }
    assert.equal(reopened.status().turns.aborted, 0, 'the counters were rolled back with the rows');

    const result = reopened.abortSession('doomed');
    assert.deepEqual({ turns: result.turns, outbox: result.outbox }, { turns: 2, outbox: 4 });

    const sent: string[] = [];
    const worker = new RecoveryWorker(new SqliteStore(reopened), {
      deliver: async (row) => {
        sent.push(row.id);
      },
      replay: async () => ({ noReply: 'test' }),
    });
    const report = await worker.runOnce();
    await worker.stop();
    const doomedRows = new Set(victim.flatMap((t) => t.rows));
    assert.deepEqual(
      sent.filter((id) => doomedRows.has(id)),
      [],
      'nothing of the aborted session is sent',
    );
    assert.deepEqual(sent, [bystander.rows[1]], 'the other session is delivered as usual');
    assert.equal(report.rowsDelivered, 1);
    for (const t of victim) assert.equal(reopened.getTurn(t.turnId)?.status, 'aborted');
  } finally {
    reopened.close();
  }
});

eachBackend('a send that completes after the abort committed is not marked delivered', async ({ store, clock }) => {
  const t = await turnWithRows(store, 'S');
  clock.advance(10 * 60_000);
  const worker = new RecoveryWorker(store, {
    deliver: async (row) => {
      // The user presses "stop" while the channel call is in flight.
      if (row.turnId === t.turnId) await store.abortSession('S');
    },
  });
  try {
    const report = await worker.runOnce();
    assert.equal(report.rowsDelivered, 0);
    const final = (await store.getRow(t.rows[1]!))!;
    assert.equal(final.status, 'failed_terminal');
    assert.equal(final.terminalReason, 'turn_aborted');
    assert.equal(final.deliveredAt, null);
    assert.equal((await store.getTurn(t.turnId))?.status, 'aborted');
  } finally {
    await worker.stop();
  }
});
