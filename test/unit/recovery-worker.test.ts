// The recovery worker (SPEC, "Recovery worker" and "Hazards"): outbox pass, turn pass, claims
// across processes, poison turns, bounded work, and a stop() that never hangs.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { test } from 'node:test';
import {
  DeliveryError,
  RecoveryWorker,
  type AcceptInput,
  type DeliverHandler,
  type Lifecycle,
  type LifecycleConfig,
  type ReplayHandler,
  type WorkerOptions,
} from '../../main/lifecycle';
import { ROUTE, delay, openPeer, openTemp, type Temp } from '../helpers/temp-db';
import { SqliteStore } from '../../main/store/sqlite/store';

const CHILD = path.join(__dirname, '..', 'helpers', 'child.js');
const LEASE = 60_000;

/** A "gateway process" that did some work and then died, and a clock past its leases. */
function crashedGateway(config: Partial<LifecycleConfig> = {}): Temp {
  return openTemp({ owner: 'gateway-dead', config: { liveLeaseMs: LEASE, ...config } });
}

/** The process that runs the worker, started after the crash. */
function workerProcess(temp: Temp, config: Partial<LifecycleConfig> = {}, owner = 'worker-1'): Lifecycle {
  return openPeer(temp, { owner, config: { liveLeaseMs: LEASE, ...config } });
}

function inbound(sessionKey: string, over: Partial<AcceptInput> = {}): AcceptInput {
  return { channel: 'telegram', sessionKey, payload: { text: `hi from ${sessionKey}` }, route: ROUTE, ...over };
}

function accept(lc: Lifecycle, sessionKey: string, over: Partial<AcceptInput> = {}): string {
  return lc.accept(inbound(sessionKey, over)).turn.id;
}

function enqueue(lc: Lifecycle, turnId: string | null, kind: 'tool' | 'block' | 'final' | null, live = true): string {
  return lc.enqueue({ turnId, channel: 'telegram', target: 'chat-1', dispatchKind: kind, payload: { kind }, live }).row
    .id;
}

interface Recorder {
  delivered: string[];
  replayed: string[];
  deliver: DeliverHandler;
  replay: ReplayHandler;
}
function recorder(): Recorder {
  const r: Recorder = {
    delivered: [],
    replayed: [],
    deliver: async (row) => {
      r.delivered.push(row.id);
    },
    replay: async (turn) => {
      r.replayed.push(turn.id);
      return { finalSendsOutsideOutbox: 1 };
    },
  };
  return r;
}

async function withWorker<T>(lc: Lifecycle, options: WorkerOptions, fn: (w: RecoveryWorker) => Promise<T>): Promise<T> {
  const worker = new RecoveryWorker(new SqliteStore(lc), options);
  try {
    return await fn(worker);
  } finally {
    await worker.stop();
  }
}

test('(1) the per-pass limit applies after filtering: 50 active or queued-final turns cannot starve 5 orphans', async () => {
  const temp = crashedGateway({ outboxBackoffMs: [3_600_000] });
  const gw = temp.lc;
  const { clock } = temp;
  // Fifty turns that are not actionable, all due before the orphans.
  const inProcess = Array.from({ length: 20 }, (_, i) => accept(gw, `live-${i}`));
  const otherProcess = Array.from({ length: 15 }, (_, i) => accept(gw, `held-${i}`));
  const queuedFinal = Array.from({ length: 15 }, (_, i) => {
    const t = accept(gw, `queued-${i}`);
    gw.markRunning(t);
    const row = enqueue(gw, t, i % 2 === 0 ? 'final' : null);
    if (i % 3 === 0) gw.fail(row, { error: 'HTTP 429', errorClass: 'retryable' }); // failed_retryable, due in an hour
    return t;
  });
  clock.advance(1_000);
  const orphans = Array.from({ length: 5 }, (_, i) => accept(gw, `orphan-${i}`));
  clock.advance(2 * LEASE); // the dead gateway's leases are over

  const lc = workerProcess(temp, { maxTurnsPerPass: 5 });
  const alive = openPeer(temp, { owner: 'gateway-alive', config: { liveLeaseMs: LEASE } });
  try {
    for (const t of inProcess) assert.equal(lc.accept(inbound('x', { id: t, resume: true })).outcome, 'resumed'); // held in this process
    for (const t of otherProcess) assert.equal(alive.markRunning(t), true); // held by another live process
    const rec = recorder();
    const report = await withWorker(lc, { replay: rec.replay, maxTurnsPerPass: 5 }, (w) => w.runOnce());
    assert.deepEqual([...rec.replayed].sort(), [...orphans].sort(), 'all five orphans are replayed in one pass');
    assert.equal(report.turnsReplayed, 5);
    for (const t of orphans) assert.equal(lc.getTurn(t)?.status, 'delivered');
    for (const t of [...inProcess, ...otherProcess, ...queuedFinal]) {
      assert.equal(lc.getTurn(t)?.attemptCount, 0, `blocker ${t} was not touched`);
    }
  } finally {
    alive.close();
    lc.close();
    gw.close();
  }
});

test('(2) a queued tool/block row never blocks a turn replay', async () => {
  const temp = crashedGateway();
  const gw = temp.lc;
  const a = accept(gw, 'a');
  gw.markRunning(a);
  const toolRow = enqueue(gw, a, 'tool');
  const b = accept(gw, 'b');
  gw.markRunning(b);
  temp.clock.advance(2 * LEASE);
  const lc = workerProcess(temp);
  const alive = openPeer(temp, { owner: 'gateway-alive', config: { liveLeaseMs: LEASE } });
  try {
    // a's tool row is being sent right now by another process; b's block row was queued by a live send here.
    assert.ok(alive.beginSend(toolRow));
    const blockRow = enqueue(lc, b, 'block');
    const seen: Record<string, string | undefined> = {};
    const replay: ReplayHandler = async (turn) => {
      seen[turn.id] = lc.getRow(turn.id === a ? toolRow : blockRow)?.status;
      return { finalSendsOutsideOutbox: 1 };
    };
    await withWorker(lc, { replay }, (w) => w.runOnce());
    assert.deepEqual(
      seen,
      { [a]: 'queued', [b]: 'queued' },
      'both turns replayed while their non-final rows were still queued',
    );
    assert.equal(lc.getTurn(a)?.status, 'delivered');
    assert.equal(lc.getTurn(b)?.status, 'delivered');
  } finally {
    alive.close();
    lc.close();
    gw.close();
  }
});

test('(3) a failed tool/block row never fails a turn whose final reply was delivered (worker path)', async () => {
  const temp = crashedGateway();
  const gw = temp.lc;
  const t = accept(gw, 's');
  gw.markRunning(t);
  gw.fail(enqueue(gw, t, 'tool'), { error: 'rejected', errorClass: 'terminal' });
  const block = enqueue(gw, t, 'block');
  gw.fail(block, { error: '502', errorClass: 'retryable' });
  gw.ack(enqueue(gw, t, 'final'));
  // The gateway died before finalizing.
  temp.clock.advance(2 * LEASE);
  const lc = workerProcess(temp);
  try {
    const rec = recorder();
    const report = await withWorker(lc, { deliver: rec.deliver, replay: rec.replay }, (w) => w.runOnce());
    assert.equal(lc.getTurn(t)?.status, 'delivered');
    assert.equal(report.turnsFinalized, 1);
    assert.deepEqual(rec.replayed, [], 'a turn whose final reply was delivered is never replayed');
    assert.deepEqual(rec.delivered, [], 'non-final rows are never replayed');
    assert.equal(lc.getRow(block)?.terminalReason, 'non_final_pruned');
  } finally {
    lc.close();
    gw.close();
  }
});

test('(4) a NULL dispatch kind counts as final for replay: a pending direct send holds the turn, a delivered one decides it', async () => {
  const temp = crashedGateway();
  const gw = temp.lc;
  const pending = accept(gw, 'p');
  gw.markRunning(pending);
  enqueue(gw, pending, null);
  const sent = accept(gw, 'd');
  gw.markRunning(sent);
  gw.ack(enqueue(gw, sent, null));
  const failed = accept(gw, 'f');
  gw.markRunning(failed);
  gw.fail(enqueue(gw, failed, null), { error: 'chat not found', errorClass: 'permanent' });
  const noFinal = accept(gw, 'n');
  gw.markRunning(noFinal);
  temp.clock.advance(2 * LEASE);
  const lc = workerProcess(temp);
  try {
    const rec = recorder();
    await withWorker(lc, { replay: rec.replay }, (w) => w.runOnce()); // no deliver handler: the direct send stays queued
    assert.deepEqual(rec.replayed, [noFinal], 'only the turn with no final (or direct) row is replayed');
    assert.equal(lc.getTurn(pending)?.status, 'delivery_pending');
    assert.equal(lc.getTurn(pending)?.attemptCount, 0);
    assert.equal(lc.getTurn(sent)?.status, 'delivered');
    assert.equal(lc.getTurn(failed)?.status, 'failed_terminal');
  } finally {
    lc.close();
    gw.close();
  }
});

test('(5) a replay whose final reply went out outside the outbox is delivered, not a failure', async () => {
  const temp = crashedGateway();
  const gw = temp.lc;
  const outside = accept(gw, 'o');
  const nothing = accept(gw, 'n');
  temp.clock.advance(2 * LEASE);
  const lc = workerProcess(temp);
  try {
    const replay: ReplayHandler = async (turn) => (turn.id === outside ? { finalSendsOutsideOutbox: 1 } : {});
    const report = await withWorker(lc, { replay }, (w) => w.runOnce());
    const o = lc.getTurn(outside)!;
    assert.equal(o.status, 'delivered');
    assert.equal(o.terminalReason, 'final reply sent outside the outbox (1)');
    const n = lc.getTurn(nothing)!;
    assert.equal(n.status, 'failed_retryable', 'a replay that sent nothing will be replayed again');
    assert.equal(n.terminalReason, 'no final reply was sent');
    assert.equal(report.turnsReplayed, 2);
    assert.equal(report.turnsFailed, 1);
  } finally {
    lc.close();
    gw.close();
  }
});

test('(6) non-final failed_retryable rows queued after the worker started are still terminalized (non_final_pruned)', async () => {
  const temp = crashedGateway();
  const gw = temp.lc;
  const t = accept(gw, 's');
  gw.markRunning(t);
  const old = enqueue(gw, t, 'tool');
  temp.clock.advance(2 * LEASE);
  const lc = workerProcess(temp);
  try {
    const worker = new RecoveryWorker(new SqliteStore(lc), {});
    worker.start();
    await once(worker, 'pass');
    assert.equal(lc.getRow(old)?.terminalReason, 'non_final_pruned');
    // Now the live process sends tool/block messages; many fail and are left failed_retryable.
    temp.clock.advance(1_000);
    const u = accept(lc, 'later');
    lc.markRunning(u);
    const failedRows = Array.from({ length: 30 }, (_, i) => {
      const id = enqueue(lc, u, i % 2 ? 'tool' : 'block');
      assert.equal(lc.fail(id, { error: 'HTTP 500', errorClass: 'retryable' }), 'failed_retryable');
      return id;
    });
    const sending = enqueue(lc, u, 'tool'); // a live send in progress: left alone until its lease ends
    const report = await worker.runOnce();
    await worker.stop();
    assert.equal(report.nonFinalPruned, 30);
    for (const id of failedRows) {
      const r = lc.getRow(id)!;
      assert.equal(r.status, 'failed_terminal');
      assert.equal(r.terminalReason, 'non_final_pruned');
    }
    assert.equal(lc.getRow(sending)?.status, 'queued');
    temp.clock.advance(LEASE + 1);
    const later = await new RecoveryWorker(new SqliteStore(lc), {}).runOnce();
    assert.equal(later.nonFinalPruned, 1);
    assert.equal(lc.getRow(sending)?.terminalReason, 'non_final_pruned');
    assert.equal(lc.status().outbox.queued + lc.status().outbox.failed_retryable, 0, 'nothing lingers');
  } finally {
    lc.close();
    gw.close();
  }
});

test('(10) two workers on one file over 200 due final rows: no row is delivered twice', async () => {
  const temp = crashedGateway();
  const gw = temp.lc;
  const all: string[] = [];
  gw.db.transaction(() => {
    for (let i = 0; i < 200; i++) {
      const t = accept(gw, `s-${i}`);
      gw.markRunning(t);
      all.push(enqueue(gw, t, i % 5 === 0 ? null : 'final'));
    }
  })();
  temp.clock.advance(2 * LEASE);
  const a = workerProcess(temp, { maxRowsPerPass: 30 }, 'worker-a');
  const b = workerProcess(temp, { maxRowsPerPass: 30 }, 'worker-b');
  const delivered: string[] = [];
  const byWorker: Record<string, number> = { a: 0, b: 0 };
  const handler =
    (name: 'a' | 'b'): DeliverHandler =>
    async (row) => {
      delivered.push(row.id);
      byWorker[name]! += 1;
      await delay(1 + (delivered.length % 3));
    };
  const wa = new RecoveryWorker(new SqliteStore(a), { deliver: handler('a'), concurrency: 4 });
  const wb = new RecoveryWorker(new SqliteStore(b), { deliver: handler('b'), concurrency: 4 });
  try {
    for (let round = 0; round < 20 && delivered.length < all.length; round++) {
      await Promise.all([wa.runOnce(), wb.runOnce(), delay(0).then(() => wb.runOnce())]);
    }
    const dupes = delivered.filter((id, i) => delivered.indexOf(id) !== i);
    assert.deepEqual(dupes, [], 'no row delivered twice');
    assert.deepEqual([...delivered].sort(), [...all].sort(), 'every row delivered');
    assert.ok(byWorker.a! > 0 && byWorker.b! > 0, `both workers took part (${JSON.stringify(byWorker)})`);
    for (const id of all) {
      const r = a.getRow(id)!;
      assert.equal(r.status, 'delivered');
      assert.equal(r.attemptCount, 1);
    }
    assert.equal(a.status().turns.delivered, 200);
  } finally {
    await wa.stop();
    await wb.stop();
    a.close();
    b.close();
    gw.close();
  }
});

test('a turn being replayed by one worker is not replayed by another process at the same time', async () => {
  const temp = crashedGateway();
  const gw = temp.lc;
  const t = accept(gw, 's');
  temp.clock.advance(2 * LEASE);
  const a = workerProcess(temp, {}, 'worker-a');
  const b = workerProcess(temp, {}, 'worker-b');
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let started!: () => void;
  const replayStarted = new Promise<void>((resolve) => (started = resolve));
  const calls: string[] = [];
  const wa = new RecoveryWorker(new SqliteStore(a), {
    replay: async (turn) => {
      calls.push(`a:${turn.id}`);
      started();
      await released;
      return { finalSendsOutsideOutbox: 1 };
    },
  });
  const wb = new RecoveryWorker(new SqliteStore(b), {
    replay: async (turn) => {
      calls.push(`b:${turn.id}`);
      return { finalSendsOutsideOutbox: 1 };
    },
  });
  try {
    const passA = wa.runOnce();
    await replayStarted;
    assert.equal(b.getTurn(t)?.claimOwner, 'worker-a');
    await wb.runOnce();
    release();
    await passA;
    assert.deepEqual(calls, [`a:${t}`]);
    assert.equal(b.getTurn(t)?.status, 'delivered');
    assert.equal(b.getTurn(t)?.attemptCount, 1);
  } finally {
    await wa.stop();
    await wb.stop();
    a.close();
    b.close();
    gw.close();
  }
});

test('poison turn: a replay handler that never returns reaches failed_terminal after turnMaxAttempts replays', async () => {
  const temp = crashedGateway({ turnMaxAttempts: 3, turnBackoffMs: 15_000 });
  const gw = temp.lc;
  const t = accept(gw, 's');
  temp.clock.advance(2 * LEASE);
  const lc = workerProcess(temp, { turnMaxAttempts: 3, turnBackoffMs: 15_000, handlerTimeoutMs: 20 });
  let calls = 0;
  const attempts: number[] = [];
  try {
    await withWorker(
      lc,
      {
        replay: (_turn, ctx) => {
          calls++;
          attempts.push(ctx.attempt);
          return new Promise(() => undefined); // hangs forever
        },
      },
      async (w) => {
        for (let pass = 0; pass < 6; pass++) {
          await w.runOnce();
          temp.clock.advance(15_000);
        }
      },
    );
    assert.equal(calls, 3);
    assert.deepEqual(attempts, [1, 2, 3]);
    const turn = lc.getTurn(t)!;
    assert.equal(turn.status, 'failed_terminal');
    assert.equal(turn.attemptCount, 3);
    assert.match(turn.terminalReason ?? '', /timed out/);
    assert.equal(
      lc.history(t).filter((h) => h.actor === 'replay' && h.toStatus === 'running').length,
      3,
      'each replay is visible',
    );
  } finally {
    lc.close();
    gw.close();
  }
});

test('poison turn: claim = attempt, so a replay that kills its process every time ends after turnMaxAttempts restarts', async () => {
  const config = { turnMaxAttempts: 3, handlerTimeoutMs: 60_000 };
  const temp = crashedGateway(config);
  const t = accept(temp.lc, 's');
  temp.lc.close();
  temp.clock.advance(2 * LEASE);
  let calls = 0;
  for (let boot = 1; boot <= 5; boot++) {
    // A fresh process each time; the previous one "died" mid-replay without recording anything.
    const lc = workerProcess(temp, config, `boot-${boot}`);
    let started!: () => void;
    const replayStarted = new Promise<void>((resolve) => (started = resolve));
    const worker = new RecoveryWorker(new SqliteStore(lc), {
      replay: () => {
        calls++;
        started();
        return new Promise(() => undefined);
      },
    });
    const pass = worker.runOnce();
    const outcome = await Promise.race([replayStarted.then(() => 'replaying'), pass.then(() => 'pass ended')]);
    if (outcome === 'replaying') {
      assert.equal(lc.getTurn(t)?.attemptCount, boot, 'the attempt is counted before the replay runs');
      assert.equal(lc.getTurn(t)?.status, 'running');
    }
    await worker.stop();
    await pass;
    lc.close();
    temp.clock.advance(config.handlerTimeoutMs + LEASE + 1); // the dead process's claim runs out
  }
  const lc = workerProcess(temp, config, 'final-check');
  try {
    assert.equal(calls, 3, 'replayed exactly turnMaxAttempts times across restarts');
    const turn = lc.getTurn(t)!;
    assert.equal(turn.status, 'failed_terminal');
    assert.equal(turn.attemptCount, 3);
    assert.match(turn.terminalReason ?? '', /gave up after 3 attempts/);
  } finally {
    lc.close();
  }
});

test('a failing delivery backs off 5 s, 25 s, 2 min, 10 min and ends failed_terminal (max_attempts) after 5 attempts', async () => {
  const temp = crashedGateway();
  const gw = temp.lc;
  const t = accept(gw, 's');
  gw.markRunning(t);
  const row = enqueue(gw, t, 'final');
  temp.clock.advance(2 * LEASE);
  const lc = workerProcess(temp);
  let calls = 0;
  const deliver: DeliverHandler = async () => {
    calls++;
    throw new DeliveryError('HTTP 503');
  };
  const gaps: number[] = [];
  try {
    await withWorker(lc, { deliver }, async (w) => {
      for (let i = 0; i < 5; i++) {
        await w.runOnce();
        assert.equal(calls, i + 1);
        const r = lc.getRow(row)!;
        if (i < 4) {
          assert.equal(r.status, 'failed_retryable');
          gaps.push(r.nextAttemptAt - temp.clock.t);
          await w.runOnce();
          assert.equal(calls, i + 1, 'not retried before it is due');
          temp.clock.t = r.nextAttemptAt;
        }
      }
      temp.clock.advance(3_600_000);
      await w.runOnce();
    });
    assert.deepEqual(gaps, [5_000, 25_000, 120_000, 600_000]);
    assert.equal(calls, 5);
    const r = lc.getRow(row)!;
    assert.equal(r.status, 'failed_terminal');
    assert.equal(r.terminalReason, 'max_attempts');
    assert.equal(r.lastError, 'HTTP 503');
    assert.equal(lc.getTurn(t)?.status, 'failed_terminal', 'its turn is finalized from its failed final row');
  } finally {
    lc.close();
    gw.close();
  }
});

test('a row whose payload cannot be parsed is failed_terminal (invalid payload: …) and never retried', async () => {
  const temp = crashedGateway();
  const gw = temp.lc;
  const t = accept(gw, 's');
  gw.markRunning(t);
  gw.db
    .prepare(
      `INSERT INTO message_outbox (id, turn_id, channel, target, dispatch_kind, payload, queued_at, next_attempt_at)
       VALUES ('bad-row', ?, 'telegram', 'chat-1', 'final', '{"text": "unterminated', ?, ?)`,
    )
    .run(t, temp.clock.t, temp.clock.t);
  temp.clock.advance(2 * LEASE);
  const lc = workerProcess(temp);
  try {
    const rec = recorder();
    await withWorker(lc, { deliver: rec.deliver, replay: rec.replay }, async (w) => {
      const report = await w.runOnce();
      assert.equal(report.rowsInvalid, 1);
      for (let i = 0; i < 3; i++) {
        temp.clock.advance(15 * 60_000);
        await w.runOnce();
      }
    });
    assert.deepEqual(rec.delivered, []);
    const r = lc.getRow('bad-row')!;
    assert.equal(r.status, 'failed_terminal');
    assert.match(r.terminalReason ?? '', /^invalid payload: /);
    assert.equal(r.attemptCount, 1);
    assert.equal(lc.getTurn(t)?.status, 'failed_terminal');
    assert.deepEqual(rec.replayed, []);
  } finally {
    lc.close();
    gw.close();
  }
});

test('a turn that cannot be routed (no destination, unparsable payload) fails at once without burning retries', async () => {
  const temp = crashedGateway();
  const gw = temp.lc;
  const noRoute = accept(gw, 'a', { route: { channel: 'telegram', to: '' } });
  const badPayload = accept(gw, 'b', { payload: '{not json' });
  const fine = accept(gw, 'c');
  temp.clock.advance(2 * LEASE);
  const lc = workerProcess(temp);
  try {
    const rec = recorder();
    const report = await withWorker(lc, { replay: rec.replay }, (w) => w.runOnce());
    assert.deepEqual(rec.replayed, [fine]);
    assert.equal(report.turnsUnroutable, 2);
    const a = lc.getTurn(noRoute)!;
    assert.equal(a.status, 'failed_terminal');
    assert.equal(a.attemptCount, 0);
    assert.match(a.terminalReason ?? '', /cannot be routed/);
    const b = lc.getTurn(badPayload)!;
    assert.equal(b.status, 'failed_terminal');
    assert.equal(b.attemptCount, 0);
    assert.match(b.terminalReason ?? '', /invalid payload/);
  } finally {
    lc.close();
    gw.close();
  }
});

test('an orphan older than an answered turn of the same session is closed as superseded, not replayed', async () => {
  const temp = crashedGateway();
  const gw = temp.lc;
  const orphan = accept(gw, 'S');
  const stillOpen = accept(gw, 'T'); // a later turn of T exists but was not answered: replay
  const otherSession = accept(gw, 'U'); // answered turns of another session do not count
  temp.clock.advance(1_000);
  const answered = accept(gw, 'S');
  gw.markRunning(answered);
  gw.ack(enqueue(gw, answered, 'final'));
  gw.finalize(answered);
  accept(gw, 'T');
  const answeredElsewhere = accept(gw, 'V');
  gw.finalize(answeredElsewhere, { noReply: 'x' });
  temp.clock.advance(2 * LEASE);
  const lc = workerProcess(temp);
  try {
    const rec = recorder();
    const report = await withWorker(lc, { replay: rec.replay }, (w) => w.runOnce());
    const o = lc.getTurn(orphan)!;
    assert.equal(o.status, 'failed_terminal');
    assert.match(o.terminalReason ?? '', /superseded/);
    assert.ok(o.terminalReason?.includes(answered));
    assert.equal(report.turnsSuperseded, 1);
    assert.ok(!rec.replayed.includes(orphan));
    assert.ok(rec.replayed.includes(stillOpen));
    assert.ok(rec.replayed.includes(otherSession));
  } finally {
    lc.close();
    gw.close();
  }
});

test('replays are visible (attempt, history, replay actor) and a resumed turn bypasses inbound dedupe', async () => {
  const temp = crashedGateway();
  const gw = temp.lc;
  const t = accept(gw, 's', { dedupeKey: 'tg:bot:chat-1:42' });
  gw.markRunning(t);
  temp.clock.advance(2 * LEASE);
  const lc = workerProcess(temp);
  const outcomes: string[] = [];
  try {
    const replay: ReplayHandler = async (turn, ctx) => {
      // The host re-runs its pipeline, which starts with accept: resume, not duplicate.
      outcomes.push(lc.accept(inbound('s', { id: turn.id, dedupeKey: 'tg:bot:chat-1:42', resume: true })).outcome);
      outcomes.push(`attempt ${ctx.attempt}`);
      const row = enqueue(lc, turn.id, 'final');
      assert.ok(lc.beginSend(row));
      lc.ack(row);
    };
    await withWorker(lc, { replay }, (w) => w.runOnce());
    assert.deepEqual(outcomes, ['resumed', 'attempt 1']);
    const turn = lc.getTurn(t)!;
    assert.equal(turn.status, 'delivered');
    assert.equal(turn.attemptCount, 1);
    const h = lc.history(t);
    assert.ok(h.some((e) => e.actor === 'replay' && e.toStatus === 'running' && e.reason === 'replay attempt 1'));
    assert.ok(h.some((e) => e.actor === 'replay' && e.toStatus === 'delivered'));
  } finally {
    lc.close();
    gw.close();
  }
});

test('unclaimed rows another writer queued since the worker started are live sends and skipped; rows from before the start and our own non-live rows are replayed at once', async () => {
  const temp = crashedGateway();
  const before = enqueue(temp.lc, null, null, false);
  temp.clock.advance(1);
  const lc = workerProcess(temp);
  try {
    const rec = recorder();
    temp.clock.advance(1);
    // A gateway without our library writes a row naming only the SPEC's columns, then sends it.
    lc.db
      .prepare(
        `INSERT INTO message_outbox (id, channel, payload, queued_at, next_attempt_at)
         VALUES ('foreign-live', 'telegram', '{}', ?, ?)`,
      )
      .run(temp.clock.t, temp.clock.t);
    const mine = enqueue(lc, null, 'final', false);
    await withWorker(lc, { deliver: rec.deliver }, (w) => w.runOnce());
    assert.deepEqual(rec.delivered.sort(), [before, mine].sort());
    assert.equal(lc.getRow('foreign-live')?.status, 'queued');
  } finally {
    lc.close();
    temp.lc.close();
  }
});

test('lost ack: a live-queued row whose lease expired is retried by the worker of the same process', async () => {
  const { lc, clock } = openTemp({ config: { liveLeaseMs: LEASE } });
  const rec = recorder();
  const worker = new RecoveryWorker(new SqliteStore(lc), { deliver: rec.deliver });
  try {
    await worker.runOnce();
    const t = accept(lc, 's');
    lc.markRunning(t);
    const row = enqueue(lc, t, 'final');
    assert.ok(lc.beginSend(row));
    // The channel took it but the ack never reached the database (e.g. the write failed).
    clock.advance(LEASE - 1);
    await worker.runOnce();
    assert.deepEqual(rec.delivered, [], 'still within the live lease: the live send owns it');
    clock.advance(2);
    await worker.runOnce();
    assert.deepEqual(rec.delivered, [row], 'retried once the lease ran out, without a restart');
    assert.equal(lc.getRow(row)?.status, 'delivered');
    assert.equal(lc.getTurn(t)?.status, 'delivered');
  } finally {
    await worker.stop();
    lc.close();
  }
});

test('a delivery that exceeds handlerTimeoutMs counts as a retryable failure', async () => {
  const temp = crashedGateway();
  const row = enqueue(temp.lc, null, 'final', false);
  temp.clock.advance(1);
  const lc = workerProcess(temp, { handlerTimeoutMs: 20 });
  try {
    const report = await withWorker(lc, { deliver: () => new Promise(() => undefined) }, (w) => w.runOnce());
    assert.equal(report.rowsFailed, 1);
    const r = lc.getRow(row)!;
    assert.equal(r.status, 'failed_retryable');
    assert.equal(r.lastError, 'delivery timed out after 20 ms');
    assert.equal(r.attemptCount, 1);
  } finally {
    lc.close();
    temp.lc.close();
  }
});

test(
  'stop() returns while a deliver handler hangs forever; the row is retried by a later worker once the claim runs out',
  { timeout: 30_000 },
  async () => {
    const temp = crashedGateway();
    const row = enqueue(temp.lc, null, 'final', false);
    temp.clock.advance(1);
    const lc = workerProcess(temp, { handlerTimeoutMs: 3_600_000 });
    try {
      let called!: () => void;
      const deliverCalled = new Promise<void>((resolve) => (called = resolve));
      const worker = new RecoveryWorker(new SqliteStore(lc), {
        deliver: () => {
          called();
          return new Promise(() => undefined);
        },
      });
      const pass = worker.runOnce();
      await deliverCalled;
      await worker.stop();
      await pass;
      assert.equal(lc.getRow(row)?.status, 'queued', 'neither delivered nor failed: nobody knows');
      const idle = await worker.runOnce();
      assert.equal(idle.rowsDelivered + idle.rowsFailed, 0, 'a stopped worker does nothing');
      // Another worker takes it over after the claim (handler timeout + lease) runs out.
      const rec = recorder();
      await withWorker(lc, { deliver: rec.deliver }, (w) => w.runOnce());
      assert.deepEqual(rec.delivered, [], 'still claimed by the stopped worker');
      temp.clock.advance(3_600_000 + LEASE + 1);
      await withWorker(lc, { deliver: rec.deliver }, (w) => w.runOnce());
      assert.deepEqual(rec.delivered, [row]);
    } finally {
      lc.close();
      temp.lc.close();
    }
  },
);

test('stop() leaves no timer behind: the process exits by itself while a deliver handler hangs', () => {
  const temp = crashedGateway();
  enqueue(temp.lc, null, 'final', false);
  temp.lc.close();
  const child = spawnSync(process.execPath, [CHILD, 'worker-stop', temp.file, String(temp.clock.t + 1)], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(child.signal, null, `the child had to be killed: it did not exit by itself (${child.stdout})`);
  assert.equal(child.status, 0, child.stderr);
  assert.match(child.stdout, /deliver called\nstopped\n/);
});

test('start() runs a pass at once and emits it; a pass that fails is reported, never swallowed', async () => {
  const temp = crashedGateway();
  const row = enqueue(temp.lc, null, 'final', false);
  temp.clock.advance(1);
  const lc = workerProcess(temp);
  const rec = recorder();
  const worker = new RecoveryWorker(new SqliteStore(lc), { deliver: rec.deliver, tickMs: 3_600_000 });
  try {
    worker.start();
    const [report] = (await once(worker, 'pass')) as [{ rowsDelivered: number }];
    assert.equal(report.rowsDelivered, 1);
    assert.deepEqual(rec.delivered, [row]);
  } finally {
    await worker.stop();
    lc.close();
  }
  // A worker over a closed database: the error surfaces as an 'error' event.
  const broken = new RecoveryWorker(new SqliteStore(lc), { deliver: rec.deliver, tickMs: 3_600_000 });
  const errored = once(broken, 'error');
  broken.start();
  const [err] = (await errored) as [Error];
  await broken.stop();
  assert.match(err.message, /not open/);
  temp.lc.close();
});

test('a replay that throws records a failure with backoff (replay failed: …), and is retried once due', async () => {
  const temp = crashedGateway({ turnBackoffMs: 15_000 });
  const t = accept(temp.lc, 's');
  temp.clock.advance(2 * LEASE);
  const lc = workerProcess(temp, { turnBackoffMs: 15_000 });
  let calls = 0;
  const replay: ReplayHandler = async () => {
    calls++;
    if (calls === 1) throw new Error('model crashed');
    return { finalSendsOutsideOutbox: 1 };
  };
  try {
    await withWorker(lc, { replay }, async (w) => {
      const report = await w.runOnce();
      assert.equal(report.turnsFailed, 1);
      const failed = lc.getTurn(t)!;
      assert.equal(failed.status, 'failed_retryable');
      assert.equal(failed.attemptCount, 1, 'counted once: at the claim, not again at the failure');
      assert.equal(failed.terminalReason, 'replay failed: model crashed');
      assert.equal(failed.nextAttemptAt, temp.clock.t + 15_000);
      await w.runOnce();
      assert.equal(calls, 1, 'not before its backoff');
      temp.clock.advance(15_000);
      await w.runOnce();
    });
    assert.equal(calls, 2);
    assert.equal(lc.getTurn(t)?.status, 'delivered');
    assert.equal(lc.getTurn(t)?.attemptCount, 2);
  } finally {
    lc.close();
    temp.lc.close();
  }
});

test('the deliver handler says how a send failed: DeliveryError terminal/permanent ends the row, any other error is retryable', async () => {
  const temp = crashedGateway();
  const terminal = enqueue(temp.lc, null, 'final', false);
  const permanent = enqueue(temp.lc, null, 'final', false);
  const plain = enqueue(temp.lc, null, 'final', false);
  temp.clock.advance(1);
  const lc = workerProcess(temp);
  const deliver: DeliverHandler = async (row) => {
    if (row.id === terminal) throw new DeliveryError('bot was blocked by the user', 'terminal');
    if (row.id === permanent) throw new DeliveryError('message too long', 'permanent');
    throw new Error('socket hang up');
  };
  try {
    const report = await withWorker(lc, { deliver }, (w) => w.runOnce());
    assert.equal(report.rowsFailed, 3);
    assert.deepEqual(
      [terminal, permanent, plain].map((id) => {
        const r = lc.getRow(id)!;
        return [r.status, r.errorClass, r.lastError];
      }),
      [
        ['failed_terminal', 'terminal', 'bot was blocked by the user'],
        ['failed_terminal', 'permanent', 'message too long'],
        ['failed_retryable', 'retryable', 'socket hang up'],
      ],
    );
  } finally {
    lc.close();
    temp.lc.close();
  }
});
