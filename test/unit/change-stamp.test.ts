// The views refetch only when lifecycle data changed (issue 12): the store's change stamp moves
// with every insert, status change and attempt, whoever writes it, and not with a worker's
// heartbeat; the API's ChangeWatch, told of every commit by another process, says `changed`
// only when the stamp moved. The second half runs a real second process on the same data: a
// recovery worker heartbeating for 15 idle seconds (LIVE_IDLE_MS; 60 heartbeats), then a gateway's plain SQL.
// Run with `--change-stamp-child <target> <tickMs>` this file is that process.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { ChangeWatch } from '../../main/api/change-watch';
import { changeStampSql } from '../../main/lifecycle/queries/change-stamp';
import { RecoveryWorker } from '../../main/recovery/worker';
import type { LifecycleStore } from '../../main/store/contract';
import { openStore } from '../../main/store/open';
import { SqliteStore } from '../../main/store/sqlite/store';
import type { ApiEvent } from '../../shared/api';
import { eachBackend, storeSql } from '../helpers/backends';
import { ROUTE, delay, makeClock, uid } from '../helpers/temp-db';

const IDLE_MS = Number(process.env.LIVE_IDLE_MS ?? 15_000);
const CHILD = '--change-stamp-child';

/** A turn with a final row that failed and will be retried: an open turn and a pending row. */
async function seed(store: LifecycleStore): Promise<{ turnId: string; rowId: string }> {
  const { turn } = await store.accept({
    channel: 'telegram',
    sessionKey: uid('s'),
    payload: { text: 'q' },
    route: ROUTE,
  });
  await store.markRunning(turn.id);
  const { row } = await store.enqueue({
    turnId: turn.id,
    channel: 'telegram',
    target: 'chat-1',
    dispatchKind: 'final',
    payload: { text: 'a' },
    idempotencyKey: `${turn.id}:final`,
  });
  assert.ok(await store.beginSend(row.id));
  assert.equal(await store.fail(row.id, { error: 'HTTP 503', errorClass: 'retryable' }), 'failed_retryable');
  return { turnId: turn.id, rowId: row.id };
}

async function childMain(target: string, tickMs: number): Promise<void> {
  const store = await openStore(target, { config: { workerTickMs: tickMs } });
  // No handlers: it sends and replays nothing, but it passes (expiry, finalization, pruning,
  // statements that match no row) and records a heartbeat after each pass, as a gateway's would.
  const worker = new RecoveryWorker(store, {});
  worker.start();
  const sql = storeSql(store);
  console.log('ready');
  for await (const line of createInterface({ input: process.stdin })) {
    const cmd = JSON.parse(line) as { sql: string; params: unknown[] };
    await sql(cmd.sql, cmd.params);
    console.log('done');
  }
  await worker.stop();
  await store.close();
}

if (process.argv[2] === CHILD) {
  void childMain(process.argv[3]!, Number(process.argv[4])).catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
} else {
  eachBackend('the change stamp moves with the data, whoever writes it, and not with heartbeats', async (c) => {
    const { store } = c;
    const { turnId, rowId } = await seed(store);
    const stamps = new Set([await store.changeStamp()]);
    /** The stamp after `what`: new (it moved) or not. */
    const moved = async (what: string, expected: boolean): Promise<void> => {
      const s = await store.changeStamp();
      assert.equal(!stamps.has(s), expected, `${what}: the stamp ${expected ? 'did not move' : 'moved'}`);
      stamps.add(s);
    };

    const peer = await c.peer({ owner: 'gw-1' });
    const worker = new RecoveryWorker(peer, {});
    await worker.runOnce(); // a pass that finds nothing to do, and its heartbeat
    await worker.stop();
    assert.ok((await c.sql('SELECT owner FROM lifecycle_workers')).length > 0, 'the heartbeat was written');
    await moved('a heartbeat and a pass with nothing to do', false);
    await c.sql("UPDATE message_outbox SET status = 'failed_retryable' WHERE id = 'no-such-row'");
    await moved('an UPDATE that matched no row', false);

    // A gateway's plain SQL: a failure that stays failed_retryable (no count, no timeline entry).
    await c.sql('UPDATE message_outbox SET attempt_count = attempt_count + 1, next_attempt_at = ? WHERE id = ?', [
      c.clock.t + 30_000,
      rowId,
    ]);
    await moved('attempts + 1 without a status change', true);
    await c.sql('UPDATE message_outbox SET next_attempt_at = ? WHERE id = ?', [c.clock.t, rowId]);
    await moved('a retry: only the due time moves', true);
    await c.sql('UPDATE message_turns SET updated_at = ? WHERE id = ?', [c.clock.t + 5, turnId]);
    await moved('an open turn touched', true);
    await c.sql("UPDATE message_outbox SET status = 'queued' WHERE id = ?", [rowId]);
    await moved('a status change', true);
    await store.operatorTerminate(rowId, 'desk:test');
    await moved('an operator action', true);
    await store.accept({ channel: 'slack', sessionKey: uid('s'), payload: {}, route: ROUTE });
    await moved('an insert', true);
    await c.sql('DELETE FROM message_turns WHERE id = ?', [turnId]);
    await moved('a delete', true);
    await moved('nothing', false);
  });

  eachBackend('the change stamp reads indexes only (SQLite: no table scan)', async (c) => {
    if (!(c.store instanceof SqliteStore)) return; // PostgreSQL's plans: test/bench/explain-pg.ts
    const { lc } = c.store;
    await seed(c.store);
    const plan = (lc.db.prepare(`EXPLAIN QUERY PLAN ${changeStampSql(lc.core)}`).all() as { detail: string }[]).map(
      (r) => r.detail,
    );
    const scans = plan.filter((d) => /^SCAN (message_|lifecycle_)/.test(d) && !/USING (COVERING )?INDEX/.test(d));
    // lifecycle_counts is a few dozen rows (one per entity and status): read whole by design.
    assert.deepEqual(
      scans.filter((d) => !d.startsWith('SCAN lifecycle_counts')),
      [],
      plan.join('\n'),
    );
    assert.ok(
      plan.some((d) => /ix_turns_open/.test(d)) && plan.some((d) => /ix_outbox_pending/.test(d)),
      plan.join('\n'),
    );
  });

  eachBackend(
    'ChangeWatch: an idle minute of another process heartbeating says nothing; each real change says changed once',
    async (c, t) => {
      // Real time: the other process's worker must find nothing due or stale in the seeded rows.
      const { store } = c;
      const { turnId, rowId } = await seed(store);
      const events: ApiEvent[] = [];
      const changed = (): number => events.filter((e) => e.type === 'changed').length;
      let external = 0;
      const watch = new ChangeWatch(
        store,
        (e) => events.push(e),
        () => external++,
      );
      watch.check(); // the engine's first check: counts and the stamp to compare with
      const child = spawn(process.execPath, [__filename, CHILD, c.target, '250'], {
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
      const next = async (): Promise<string> => String((await lines.next()).value);
      try {
        assert.equal(await next(), 'ready');
        await delay(IDLE_MS);
        assert.equal(changed(), 0, `an idle ${IDLE_MS / 1000} s with heartbeats every 250 ms: no refetch`);
        t.diagnostic(`commits by the other process seen while idle: ${external}`);
        // (SQLite: data_version moves with each heartbeat; PostgreSQL: the pass's statements notify.)
        assert.ok(external >= IDLE_MS / 1_000, `the other process's commits reached the watch (${external})`);

        const gateway = async (sql: string, params: unknown[]): Promise<void> => {
          child.stdin!.write(`${JSON.stringify({ sql, params })}\n`);
          assert.equal(await next(), 'done');
        };
        /** One `changed` within ~1 s, and no second one after it. */
        const once = async (what: string): Promise<void> => {
          const before = changed();
          const deadline = Date.now() + 1_500;
          while (changed() === before && Date.now() < deadline) await delay(25);
          assert.equal(changed(), before + 1, `${what}: one changed within 1.5 s`);
          await delay(1_000);
          assert.equal(changed(), before + 1, `${what}: no second changed`);
        };
        await gateway("UPDATE message_turns SET status = 'delivery_pending', updated_at = ? WHERE id = ?", [
          c.clock.t + 1,
          turnId,
        ]);
        await once('a status change');
        await gateway('UPDATE message_outbox SET attempt_count = attempt_count + 1 WHERE id = ?', [rowId]);
        await once('attempts + 1, status unchanged (a retry that stays failed_retryable)');
        await delay(1_000);
        assert.equal(changed(), 2, 'heartbeats after the changes: nothing more');
      } finally {
        child.stdin!.end();
        await new Promise((resolve) => child.once('exit', resolve));
        watch.stop();
      }
    },
    { timeout: IDLE_MS + 60_000, clock: makeClock(Date.now()) },
  );
}
