// The recovery worker (SPEC, "Recovery worker" and "Hazards"): outbox pass, turn pass, claims
// across processes, poison turns, bounded work, and a stop() that never hangs. Every case runs
// on both backends (helpers/backends.ts): each "process" is a store of its own on the same data.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import {
  DeliveryError,
  RecoveryWorker,
  type AcceptInput,
  type DeliverHandler,
  type LifecycleConfig,
  type ReplayHandler,
  type WorkerOptions,
} from '../../main/lifecycle';
import type { Backend, LifecycleStore } from '../../main/store/contract';
import { eachBackend, type Case, type CaseOptions } from '../helpers/backends';
import { ROUTE, delay } from '../helpers/temp-db';
import { queuedRow } from '../helpers/store-rows';

const CHILD = path.join(__dirname, '..', 'helpers', 'child.js');
const LEASE = 60_000;

/** A "gateway process" (the case's store) that did some work and then died; the test moves the clock past its leases. */
function crashedGateway(config: Partial<LifecycleConfig> = {}): CaseOptions {
  return { owner: 'gateway-dead', config: { liveLeaseMs: LEASE, ...config } };
}

/** The process that runs the worker, started after the crash. */
function workerProcess(c: Case, config: Partial<LifecycleConfig> = {}, owner = 'worker-1'): Promise<LifecycleStore> {
  return c.peer({ owner, config: { liveLeaseMs: LEASE, ...config } });
}

function inbound(sessionKey: string, over: Partial<AcceptInput> = {}): AcceptInput {
  return { channel: 'telegram', sessionKey, payload: { text: `hi from ${sessionKey}` }, route: ROUTE, ...over };
}

async function accept(store: LifecycleStore, sessionKey: string, over: Partial<AcceptInput> = {}): Promise<string> {
  return (await store.accept(inbound(sessionKey, over))).turn.id;
}

function enqueue(
  store: LifecycleStore,
  turnId: string | null,
  kind: 'tool' | 'block' | 'final' | null,
  live = true,
): Promise<string> {
  return queuedRow(store, turnId, kind, live, { kind });
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

async function withWorker<T>(
  store: LifecycleStore,
  options: WorkerOptions,
  fn: (w: RecoveryWorker) => Promise<T>,
): Promise<T> {
  const worker = new RecoveryWorker(store, options);
  try {
    return await fn(worker);
  } finally {
    await worker.stop();
  }
}

/** Waits for `signal`, or fails as soon as `pass` ends without it (so a broken pass cannot hang the test). */
function before(signal: Promise<void>, pass: Promise<unknown>, what: string): Promise<void> {
  const ended = pass.then(
    () => Promise.reject(new Error(`the pass ended before ${what}`)),
    (err: unknown) => Promise.reject(err),
  );
  ended.catch(() => undefined); // the pass ending after the signal is expected
  return Promise.race([signal, ended]);
}

eachBackend(
  '(1) the per-pass limit applies after filtering: 50 active or queued-final turns cannot starve 5 orphans',
  async (c) => {
    const gw = c.store;
    const { clock } = c;
    // Fifty turns that are not actionable, all due before the orphans.
    const inProcess: string[] = [];
    for (let i = 0; i < 20; i++) inProcess.push(await accept(gw, `live-${i}`));
    const otherProcess: string[] = [];
    for (let i = 0; i < 15; i++) otherProcess.push(await accept(gw, `held-${i}`));
    const queuedFinal: string[] = [];
    for (let i = 0; i < 15; i++) {
      const t = await accept(gw, `queued-${i}`);
      await gw.markRunning(t);
      const row = await enqueue(gw, t, i % 2 === 0 ? 'final' : null);
      if (i % 3 === 0) await gw.fail(row, { error: 'HTTP 429', errorClass: 'retryable' }); // failed_retryable, due in an hour
      queuedFinal.push(t);
    }
    clock.advance(1_000);
    const orphans: string[] = [];
    for (let i = 0; i < 5; i++) orphans.push(await accept(gw, `orphan-${i}`));
    clock.advance(2 * LEASE); // the dead gateway's leases are over

    const lc = await workerProcess(c, { maxTurnsPerPass: 5 });
    const alive = await c.peer({ owner: 'gateway-alive', config: { liveLeaseMs: LEASE } });
    for (const t of inProcess) {
      assert.equal((await lc.accept(inbound('x', { id: t, resume: true }))).outcome, 'resumed'); // held in this process
    }
    for (const t of otherProcess) assert.equal(await alive.markRunning(t), true); // held by another live process
    const rec = recorder();
    const report = await withWorker(lc, { replay: rec.replay, maxTurnsPerPass: 5 }, (w) => w.runOnce());
    assert.deepEqual([...rec.replayed].sort(), [...orphans].sort(), 'all five orphans are replayed in one pass');
    assert.equal(report.turnsReplayed, 5);
    for (const t of orphans) assert.equal((await lc.getTurn(t))?.status, 'delivered');
    for (const t of [...inProcess, ...otherProcess, ...queuedFinal]) {
      assert.equal((await lc.getTurn(t))?.attemptCount, 0, `blocker ${t} was not touched`);
    }
  },
  crashedGateway({ outboxBackoffMs: [3_600_000] }),
);

eachBackend(
  '(2) a queued tool/block row never blocks a turn replay',
  async (c) => {
    const gw = c.store;
    const a = await accept(gw, 'a');
    await gw.markRunning(a);
    const toolRow = await enqueue(gw, a, 'tool');
    const b = await accept(gw, 'b');
    await gw.markRunning(b);
    c.clock.advance(2 * LEASE);
    const lc = await workerProcess(c);
    const alive = await c.peer({ owner: 'gateway-alive', config: { liveLeaseMs: LEASE } });
    // a's tool row is being sent right now by another process; b's block row was queued by a live send here.
    assert.ok(await alive.beginSend(toolRow));
    const blockRow = await enqueue(lc, b, 'block');
    const seen: Record<string, string | undefined> = {};
    const replay: ReplayHandler = async (turn) => {
      seen[turn.id] = (await lc.getRow(turn.id === a ? toolRow : blockRow))?.status;
      return { finalSendsOutsideOutbox: 1 };
    };
    await withWorker(lc, { replay }, (w) => w.runOnce());
    assert.deepEqual(
      seen,
      { [a]: 'queued', [b]: 'queued' },
      'both turns replayed while their non-final rows were still queued',
    );
    assert.equal((await lc.getTurn(a))?.status, 'delivered');
    assert.equal((await lc.getTurn(b))?.status, 'delivered');
  },
  crashedGateway(),
);

eachBackend(
  '(3) a failed tool/block row never fails a turn whose final reply was delivered (worker path)',
  async (c) => {
    const gw = c.store;
    const t = await accept(gw, 's');
    await gw.markRunning(t);
    await gw.fail(await enqueue(gw, t, 'tool'), { error: 'rejected', errorClass: 'terminal' });
    const block = await enqueue(gw, t, 'block');
    await gw.fail(block, { error: '502', errorClass: 'retryable' });
    await gw.ack(await enqueue(gw, t, 'final'));
    // The gateway died before finalizing.
    c.clock.advance(2 * LEASE);
    const lc = await workerProcess(c);
    const rec = recorder();
    const report = await withWorker(lc, { deliver: rec.deliver, replay: rec.replay }, (w) => w.runOnce());
    assert.equal((await lc.getTurn(t))?.status, 'delivered');
    assert.equal(report.turnsFinalized, 1);
    assert.deepEqual(rec.replayed, [], 'a turn whose final reply was delivered is never replayed');
    assert.deepEqual(rec.delivered, [], 'non-final rows are never replayed');
    assert.equal((await lc.getRow(block))?.terminalReason, 'non_final_pruned');
  },
  crashedGateway(),
);

eachBackend(
  '(4) a NULL dispatch kind counts as final for replay: a pending direct send holds the turn, a delivered one decides it',
  async (c) => {
    const gw = c.store;
    const pending = await accept(gw, 'p');
    await gw.markRunning(pending);
    await enqueue(gw, pending, null);
    const sent = await accept(gw, 'd');
    await gw.markRunning(sent);
    await gw.ack(await enqueue(gw, sent, null));
    const failed = await accept(gw, 'f');
    await gw.markRunning(failed);
    await gw.fail(await enqueue(gw, failed, null), { error: 'chat not found', errorClass: 'permanent' });
    const noFinal = await accept(gw, 'n');
    await gw.markRunning(noFinal);
    c.clock.advance(2 * LEASE);
    const lc = await workerProcess(c);
    const rec = recorder();
    await withWorker(lc, { replay: rec.replay }, (w) => w.runOnce()); // no deliver handler: the direct send stays queued
    assert.deepEqual(rec.replayed, [noFinal], 'only the turn with no final (or direct) row is replayed');
    assert.equal((await lc.getTurn(pending))?.status, 'delivery_pending');
    assert.equal((await lc.getTurn(pending))?.attemptCount, 0);
    assert.equal((await lc.getTurn(sent))?.status, 'delivered');
    assert.equal((await lc.getTurn(failed))?.status, 'failed_terminal');
  },
  crashedGateway(),
);

eachBackend(
  '(5) a replay whose final reply went out outside the outbox is delivered, not a failure',
  async (c) => {
    const outside = await accept(c.store, 'o');
    const nothing = await accept(c.store, 'n');
    c.clock.advance(2 * LEASE);
    const lc = await workerProcess(c);
    const replay: ReplayHandler = async (turn) => (turn.id === outside ? { finalSendsOutsideOutbox: 1 } : {});
    const report = await withWorker(lc, { replay }, (w) => w.runOnce());
    const o = (await lc.getTurn(outside))!;
    assert.equal(o.status, 'delivered');
    assert.equal(o.terminalReason, 'final reply sent outside the outbox (1)');
    const n = (await lc.getTurn(nothing))!;
    assert.equal(n.status, 'failed_retryable', 'a replay that sent nothing will be replayed again');
    assert.equal(n.terminalReason, 'no final reply was sent');
    assert.equal(report.turnsReplayed, 2);
    assert.equal(report.turnsFailed, 1);
  },
  crashedGateway(),
);

eachBackend(
  '(6) non-final failed_retryable rows queued after the worker started are still terminalized (non_final_pruned)',
  async (c) => {
    const gw = c.store;
    const t = await accept(gw, 's');
    await gw.markRunning(t);
    const old = await enqueue(gw, t, 'tool');
    c.clock.advance(2 * LEASE);
    const lc = await workerProcess(c);
    const worker = new RecoveryWorker(lc, {});
    try {
      const firstPass = once(worker, 'pass');
      worker.start();
      await firstPass;
      assert.equal((await lc.getRow(old))?.terminalReason, 'non_final_pruned');
      // Now the live process sends tool/block messages; many fail and are left failed_retryable.
      c.clock.advance(1_000);
      const u = await accept(lc, 'later');
      await lc.markRunning(u);
      const failedRows: string[] = [];
      for (let i = 0; i < 30; i++) {
        const id = await enqueue(lc, u, i % 2 ? 'tool' : 'block');
        assert.equal(await lc.fail(id, { error: 'HTTP 500', errorClass: 'retryable' }), 'failed_retryable');
        failedRows.push(id);
      }
      const sending = await enqueue(lc, u, 'tool'); // a live send in progress: left alone until its lease ends
      const report = await worker.runOnce();
      await worker.stop();
      assert.equal(report.nonFinalPruned, 30);
      for (const id of failedRows) {
        const r = (await lc.getRow(id))!;
        assert.equal(r.status, 'failed_terminal');
        assert.equal(r.terminalReason, 'non_final_pruned');
      }
      assert.equal((await lc.getRow(sending))?.status, 'queued');
      c.clock.advance(LEASE + 1);
      const later = await withWorker(lc, {}, (w) => w.runOnce());
      assert.equal(later.nonFinalPruned, 1);
      assert.equal((await lc.getRow(sending))?.terminalReason, 'non_final_pruned');
      const { outbox } = await lc.status();
      assert.equal(outbox.queued + outbox.failed_retryable, 0, 'nothing lingers');
    } finally {
      await worker.stop();
    }
  },
  crashedGateway(),
);

eachBackend(
  '(10) two workers on one file over 200 due final rows: no row is delivered twice',
  async (c) => {
    const gw = c.store;
    const all = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const t = await accept(gw, `s-${i}`);
        await gw.markRunning(t);
        return enqueue(gw, t, i % 5 === 0 ? null : 'final');
      }),
    );
    c.clock.advance(2 * LEASE);
    const a = await workerProcess(c, { maxRowsPerPass: 30 }, 'worker-a');
    const b = await workerProcess(c, { maxRowsPerPass: 30 }, 'worker-b');
    const delivered: string[] = [];
    const byWorker: Record<string, number> = { a: 0, b: 0 };
    const handler =
      (name: 'a' | 'b'): DeliverHandler =>
      async (row) => {
        delivered.push(row.id);
        byWorker[name]! += 1;
        await delay(1 + (delivered.length % 3)); // lets the two workers' handlers interleave
      };
    const wa = new RecoveryWorker(a, { deliver: handler('a'), concurrency: 4 });
    const wb = new RecoveryWorker(b, { deliver: handler('b'), concurrency: 4 });
    try {
      for (let round = 0; round < 20 && delivered.length < all.length; round++) {
        await Promise.all([wa.runOnce(), wb.runOnce(), delay(0).then(() => wb.runOnce())]);
      }
      const dupes = delivered.filter((id, i) => delivered.indexOf(id) !== i);
      assert.deepEqual(dupes, [], 'no row delivered twice');
      assert.deepEqual([...delivered].sort(), [...all].sort(), 'every row delivered');
      assert.ok(byWorker.a! > 0 && byWorker.b! > 0, `both workers took part (${JSON.stringify(byWorker)})`);
      for (const id of all) {
        const r = (await a.getRow(id))!;
        assert.equal(r.status, 'delivered');
        assert.equal(r.attemptCount, 1);
      }
      assert.equal((await a.status()).turns.delivered, 200);
    } finally {
      await wa.stop();
      await wb.stop();
    }
  },
  crashedGateway(),
);

eachBackend(
  'a turn being replayed by one worker is not replayed by another process at the same time',
  async (c) => {
    const t = await accept(c.store, 's');
    c.clock.advance(2 * LEASE);
    const a = await workerProcess(c, {}, 'worker-a');
    const b = await workerProcess(c, {}, 'worker-b');
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const replayStarted = new Promise<void>((resolve) => (started = resolve));
    const calls: string[] = [];
    const wa = new RecoveryWorker(a, {
      replay: async (turn) => {
        calls.push(`a:${turn.id}`);
        started();
        await released;
        return { finalSendsOutsideOutbox: 1 };
      },
    });
    const wb = new RecoveryWorker(b, {
      replay: async (turn) => {
        calls.push(`b:${turn.id}`);
        return { finalSendsOutsideOutbox: 1 };
      },
    });
    try {
      const passA = wa.runOnce();
      await before(replayStarted, passA, 'the replay started');
      assert.equal((await b.getTurn(t))?.claimOwner, 'worker-a');
      await wb.runOnce();
      release();
      await passA;
      assert.deepEqual(calls, [`a:${t}`]);
      assert.equal((await b.getTurn(t))?.status, 'delivered');
      assert.equal((await b.getTurn(t))?.attemptCount, 1);
    } finally {
      release();
      await wa.stop();
      await wb.stop();
    }
  },
  crashedGateway(),
);

eachBackend(
  'poison turn: a replay handler that never returns reaches failed_terminal after turnMaxAttempts replays',
  async (c) => {
    const t = await accept(c.store, 's');
    c.clock.advance(2 * LEASE);
    const lc = await workerProcess(c, { turnMaxAttempts: 3, turnBackoffMs: 15_000, handlerTimeoutMs: 20 });
    let calls = 0;
    const attempts: number[] = [];
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
          c.clock.advance(15_000);
        }
      },
    );
    assert.equal(calls, 3);
    assert.deepEqual(attempts, [1, 2, 3]);
    const turn = (await lc.getTurn(t))!;
    assert.equal(turn.status, 'failed_terminal');
    assert.equal(turn.attemptCount, 3);
    assert.match(turn.terminalReason ?? '', /timed out/);
    assert.equal(
      (await lc.history(t)).filter((h) => h.actor === 'replay' && h.toStatus === 'running').length,
      3,
      'each replay is visible',
    );
  },
  crashedGateway({ turnMaxAttempts: 3, turnBackoffMs: 15_000 }),
);

const POISON = { turnMaxAttempts: 3, handlerTimeoutMs: 60_000 };
eachBackend(
  'poison turn: claim = attempt, so a replay that kills its process every time ends after turnMaxAttempts restarts',
  async (c) => {
    const t = await accept(c.store, 's');
    await c.store.close();
    c.clock.advance(2 * LEASE);
    let calls = 0;
    for (let boot = 1; boot <= 5; boot++) {
      // A fresh process each time; the previous one "died" mid-replay without recording anything.
      const lc = await workerProcess(c, POISON, `boot-${boot}`);
      let started!: () => void;
      const replayStarted = new Promise<void>((resolve) => (started = resolve));
      const worker = new RecoveryWorker(lc, {
        replay: () => {
          calls++;
          started();
          return new Promise(() => undefined);
        },
      });
      const pass = worker.runOnce();
      const outcome = await Promise.race([replayStarted.then(() => 'replaying'), pass.then(() => 'pass ended')]);
      if (outcome === 'replaying') {
        assert.equal((await lc.getTurn(t))?.attemptCount, boot, 'the attempt is counted before the replay runs');
        assert.equal((await lc.getTurn(t))?.status, 'running');
      }
      await worker.stop();
      await pass;
      await lc.close();
      c.clock.advance(POISON.handlerTimeoutMs + LEASE + 1); // the dead process's claim runs out
    }
    const lc = await workerProcess(c, POISON, 'final-check');
    assert.equal(calls, 3, 'replayed exactly turnMaxAttempts times across restarts');
    const turn = (await lc.getTurn(t))!;
    assert.equal(turn.status, 'failed_terminal');
    assert.equal(turn.attemptCount, 3);
    assert.match(turn.terminalReason ?? '', /gave up after 3 attempts/);
  },
  crashedGateway(POISON),
);

eachBackend(
  'a failing delivery backs off 5 s, 25 s, 2 min, 10 min and ends failed_terminal (max_attempts) after 5 attempts',
  async (c) => {
    const gw = c.store;
    const t = await accept(gw, 's');
    await gw.markRunning(t);
    const row = await enqueue(gw, t, 'final');
    c.clock.advance(2 * LEASE);
    const lc = await workerProcess(c);
    let calls = 0;
    const deliver: DeliverHandler = async () => {
      calls++;
      throw new DeliveryError('HTTP 503');
    };
    const gaps: number[] = [];
    await withWorker(lc, { deliver }, async (w) => {
      for (let i = 0; i < 5; i++) {
        await w.runOnce();
        assert.equal(calls, i + 1);
        const r = (await lc.getRow(row))!;
        if (i < 4) {
          assert.equal(r.status, 'failed_retryable');
          gaps.push(r.nextAttemptAt - c.clock.t);
          await w.runOnce();
          assert.equal(calls, i + 1, 'not retried before it is due');
          c.clock.t = r.nextAttemptAt;
        }
      }
      c.clock.advance(3_600_000);
      await w.runOnce();
    });
    assert.deepEqual(gaps, [5_000, 25_000, 120_000, 600_000]);
    assert.equal(calls, 5);
    const r = (await lc.getRow(row))!;
    assert.equal(r.status, 'failed_terminal');
    assert.equal(r.terminalReason, 'max_attempts');
    assert.equal(r.lastError, 'HTTP 503');
    assert.equal((await lc.getTurn(t))?.status, 'failed_terminal', 'its turn is finalized from its failed final row');
  },
  crashedGateway(),
);

eachBackend(
  'a row whose payload cannot be parsed is failed_terminal (invalid payload: …) and never retried',
  async (c) => {
    const t = await accept(c.store, 's');
    await c.store.markRunning(t);
    // A gateway writes a row whose payload is not JSON.
    await c.sql(
      `INSERT INTO message_outbox (id, turn_id, channel, target, dispatch_kind, payload, queued_at, next_attempt_at)
       VALUES ('bad-row', ?, 'telegram', 'chat-1', 'final', '{"text": "unterminated', ?, ?)`,
      [t, c.clock.t, c.clock.t],
    );
    c.clock.advance(2 * LEASE);
    const lc = await workerProcess(c);
    const rec = recorder();
    await withWorker(lc, { deliver: rec.deliver, replay: rec.replay }, async (w) => {
      const report = await w.runOnce();
      assert.equal(report.rowsInvalid, 1);
      for (let i = 0; i < 3; i++) {
        c.clock.advance(15 * 60_000);
        await w.runOnce();
      }
    });
    assert.deepEqual(rec.delivered, []);
    const r = (await lc.getRow('bad-row'))!;
    assert.equal(r.status, 'failed_terminal');
    assert.match(r.terminalReason ?? '', /^invalid payload: /);
    assert.equal(r.attemptCount, 1);
    assert.equal((await lc.getTurn(t))?.status, 'failed_terminal');
    assert.deepEqual(rec.replayed, []);
  },
  crashedGateway(),
);

eachBackend(
  'a turn that cannot be routed (no destination, unparsable payload) fails at once without burning retries',
  async (c) => {
    const gw = c.store;
    const noRoute = await accept(gw, 'a', { route: { channel: 'telegram', to: '' } });
    const badPayload = await accept(gw, 'b', { payload: '{not json' });
    const fine = await accept(gw, 'c');
    c.clock.advance(2 * LEASE);
    const lc = await workerProcess(c);
    const rec = recorder();
    const report = await withWorker(lc, { replay: rec.replay }, (w) => w.runOnce());
    assert.deepEqual(rec.replayed, [fine]);
    assert.equal(report.turnsUnroutable, 2);
    const a = (await lc.getTurn(noRoute))!;
    assert.equal(a.status, 'failed_terminal');
    assert.equal(a.attemptCount, 0);
    assert.match(a.terminalReason ?? '', /cannot be routed/);
    const b = (await lc.getTurn(badPayload))!;
    assert.equal(b.status, 'failed_terminal');
    assert.equal(b.attemptCount, 0);
    assert.match(b.terminalReason ?? '', /invalid payload/);
  },
  crashedGateway(),
);

eachBackend(
  'an orphan older than an answered turn of the same session is closed as superseded, not replayed',
  async (c) => {
    const gw = c.store;
    const orphan = await accept(gw, 'S');
    const stillOpen = await accept(gw, 'T'); // a later turn of T exists but was not answered: replay
    const otherSession = await accept(gw, 'U'); // answered turns of another session do not count
    c.clock.advance(1_000);
    const answered = await accept(gw, 'S');
    await gw.markRunning(answered);
    await gw.ack(await enqueue(gw, answered, 'final'));
    await gw.finalize(answered);
    await accept(gw, 'T');
    const answeredElsewhere = await accept(gw, 'V');
    await gw.finalize(answeredElsewhere, { noReply: 'x' });
    c.clock.advance(2 * LEASE);
    const lc = await workerProcess(c);
    const rec = recorder();
    const report = await withWorker(lc, { replay: rec.replay }, (w) => w.runOnce());
    const o = (await lc.getTurn(orphan))!;
    assert.equal(o.status, 'failed_terminal');
    assert.match(o.terminalReason ?? '', /superseded/);
    assert.ok(o.terminalReason?.includes(answered));
    assert.equal(report.turnsSuperseded, 1);
    assert.ok(!rec.replayed.includes(orphan));
    assert.ok(rec.replayed.includes(stillOpen));
    assert.ok(rec.replayed.includes(otherSession));
  },
  crashedGateway(),
);

eachBackend(
  'replays are visible (attempt, history, replay actor) and a resumed turn bypasses inbound dedupe',
  async (c) => {
    const t = await accept(c.store, 's', { dedupeKey: 'tg:bot:chat-1:42' });
    await c.store.markRunning(t);
    c.clock.advance(2 * LEASE);
    const lc = await workerProcess(c);
    const outcomes: string[] = [];
    const replay: ReplayHandler = async (turn, ctx) => {
      // The host re-runs its pipeline, which starts with accept: resume, not duplicate.
      const resumed = await lc.accept(inbound('s', { id: turn.id, dedupeKey: 'tg:bot:chat-1:42', resume: true }));
      outcomes.push(resumed.outcome);
      outcomes.push(`attempt ${ctx.attempt}`);
      const row = await enqueue(lc, turn.id, 'final');
      assert.ok(await lc.beginSend(row));
      await lc.ack(row);
    };
    await withWorker(lc, { replay }, (w) => w.runOnce());
    assert.deepEqual(outcomes, ['resumed', 'attempt 1']);
    const turn = (await lc.getTurn(t))!;
    assert.equal(turn.status, 'delivered');
    assert.equal(turn.attemptCount, 1);
    const h = await lc.history(t);
    assert.ok(h.some((e) => e.actor === 'replay' && e.toStatus === 'running' && e.reason === 'replay attempt 1'));
    assert.ok(h.some((e) => e.actor === 'replay' && e.toStatus === 'delivered'));
  },
  crashedGateway(),
);

eachBackend(
  'unclaimed rows another writer queued since the worker started are live sends and skipped; rows from before the start and our own non-live rows are replayed at once',
  async (c) => {
    const beforeStart = await enqueue(c.store, null, null, false);
    c.clock.advance(1);
    const lc = await workerProcess(c);
    const rec = recorder();
    c.clock.advance(1);
    // A gateway without our library writes a row naming only the SPEC's columns, then sends it.
    await c.sql(
      `INSERT INTO message_outbox (id, channel, payload, queued_at, next_attempt_at)
       VALUES ('foreign-live', 'telegram', '{}', ?, ?)`,
      [c.clock.t, c.clock.t],
    );
    const mine = await enqueue(lc, null, 'final', false);
    await withWorker(lc, { deliver: rec.deliver }, (w) => w.runOnce());
    assert.deepEqual(rec.delivered.sort(), [beforeStart, mine].sort());
    assert.equal((await lc.getRow('foreign-live'))?.status, 'queued');
  },
  crashedGateway(),
);

eachBackend(
  'lost ack: a live-queued row whose lease expired is retried by the worker of the same process',
  async ({ store, clock }) => {
    const rec = recorder();
    await withWorker(store, { deliver: rec.deliver }, async (worker) => {
      await worker.runOnce();
      const t = await accept(store, 's');
      await store.markRunning(t);
      const row = await enqueue(store, t, 'final');
      assert.ok(await store.beginSend(row));
      // The channel took it but the ack never reached the database (e.g. the write failed).
      clock.advance(LEASE - 1);
      await worker.runOnce();
      assert.deepEqual(rec.delivered, [], 'still within the live lease: the live send owns it');
      clock.advance(2);
      await worker.runOnce();
      assert.deepEqual(rec.delivered, [row], 'retried once the lease ran out, without a restart');
      assert.equal((await store.getRow(row))?.status, 'delivered');
      assert.equal((await store.getTurn(t))?.status, 'delivered');
    });
  },
  { config: { liveLeaseMs: LEASE } },
);

eachBackend(
  'a delivery that exceeds handlerTimeoutMs counts as a retryable failure',
  async (c) => {
    const row = await enqueue(c.store, null, 'final', false);
    c.clock.advance(1);
    const lc = await workerProcess(c, { handlerTimeoutMs: 20 });
    const report = await withWorker(lc, { deliver: () => new Promise(() => undefined) }, (w) => w.runOnce());
    assert.equal(report.rowsFailed, 1);
    const r = (await lc.getRow(row))!;
    assert.equal(r.status, 'failed_retryable');
    assert.equal(r.lastError, 'delivery timed out after 20 ms');
    assert.equal(r.attemptCount, 1);
  },
  crashedGateway(),
);

eachBackend(
  'stop() returns while a deliver handler hangs forever; the row is retried by a later worker once the claim runs out',
  async (c) => {
    const row = await enqueue(c.store, null, 'final', false);
    c.clock.advance(1);
    const lc = await workerProcess(c, { handlerTimeoutMs: 3_600_000 });
    let called!: () => void;
    const deliverCalled = new Promise<void>((resolve) => (called = resolve));
    const worker = new RecoveryWorker(lc, {
      deliver: () => {
        called();
        return new Promise(() => undefined);
      },
    });
    const pass = worker.runOnce();
    await before(deliverCalled, pass, 'deliver was called');
    await worker.stop();
    await pass;
    assert.equal((await lc.getRow(row))?.status, 'queued', 'neither delivered nor failed: nobody knows');
    const idle = await worker.runOnce();
    assert.equal(idle.rowsDelivered + idle.rowsFailed, 0, 'a stopped worker does nothing');
    // Another worker takes it over after the claim (handler timeout + lease) runs out.
    const rec = recorder();
    await withWorker(lc, { deliver: rec.deliver }, (w) => w.runOnce());
    assert.deepEqual(rec.delivered, [], 'still claimed by the stopped worker');
    c.clock.advance(3_600_000 + LEASE + 1);
    await withWorker(lc, { deliver: rec.deliver }, (w) => w.runOnce());
    assert.deepEqual(rec.delivered, [row]);
  },
  { ...crashedGateway(), timeout: 30_000 },
);

eachBackend(
  'stop() leaves no timer behind: the process exits by itself while a deliver handler hangs',
  async (c) => {
    await enqueue(c.store, null, 'final', false);
    await c.store.close();
    // helpers/child.ts worker-stop: opens the same data (file or URL), runs a worker whose
    // handler hangs, stops it, closes the store, and must then exit on its own.
    const child = spawnSync(process.execPath, [CHILD, 'worker-stop', c.target, String(c.clock.t + 1)], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(child.signal, null, `the child had to be killed: it did not exit by itself (${child.stdout})`);
    assert.equal(child.status, 0, child.stderr);
    assert.match(child.stdout, /deliver called\nstopped\n/);
  },
  crashedGateway(),
);

/** What using a closed store says, per backend. */
const CLOSED: Record<Backend, RegExp> = {
  sqlite: /not open/,
  postgres: /Cannot use a pool after calling end on the pool/,
};

eachBackend(
  'start() runs a pass at once and emits it; a pass that fails is reported, never swallowed',
  async (c) => {
    const row = await enqueue(c.store, null, 'final', false);
    c.clock.advance(1);
    const lc = await workerProcess(c);
    const rec = recorder();
    const worker = new RecoveryWorker(lc, { deliver: rec.deliver, tickMs: 3_600_000 });
    try {
      const passed = once(worker, 'pass');
      worker.start();
      const [report] = (await passed) as [{ rowsDelivered: number }];
      assert.equal(report.rowsDelivered, 1);
      assert.deepEqual(rec.delivered, [row]);
    } finally {
      await worker.stop();
      await lc.close();
    }
    // A worker over a closed database: the error surfaces as an 'error' event.
    const broken = new RecoveryWorker(lc, { deliver: rec.deliver, tickMs: 3_600_000 });
    const errored = once(broken, 'error');
    broken.start();
    const [err] = (await errored) as [Error];
    await broken.stop();
    assert.match(err.message, CLOSED[c.backend]);
  },
  crashedGateway(),
);

eachBackend(
  'a replay that throws records a failure with backoff (replay failed: …), and is retried once due',
  async (c) => {
    const t = await accept(c.store, 's');
    c.clock.advance(2 * LEASE);
    const lc = await workerProcess(c, { turnBackoffMs: 15_000 });
    let calls = 0;
    const replay: ReplayHandler = async () => {
      calls++;
      if (calls === 1) throw new Error('model crashed');
      return { finalSendsOutsideOutbox: 1 };
    };
    await withWorker(lc, { replay }, async (w) => {
      const report = await w.runOnce();
      assert.equal(report.turnsFailed, 1);
      const failed = (await lc.getTurn(t))!;
      assert.equal(failed.status, 'failed_retryable');
      assert.equal(failed.attemptCount, 1, 'counted once: at the claim, not again at the failure');
      assert.equal(failed.terminalReason, 'replay failed: model crashed');
      assert.equal(failed.nextAttemptAt, c.clock.t + 15_000);
      await w.runOnce();
      assert.equal(calls, 1, 'not before its backoff');
      c.clock.advance(15_000);
      await w.runOnce();
    });
    assert.equal(calls, 2);
    assert.equal((await lc.getTurn(t))?.status, 'delivered');
    assert.equal((await lc.getTurn(t))?.attemptCount, 2);
  },
  crashedGateway({ turnBackoffMs: 15_000 }),
);

eachBackend(
  'the deliver handler says how a send failed: DeliveryError terminal/permanent ends the row, any other error is retryable',
  async (c) => {
    const terminal = await enqueue(c.store, null, 'final', false);
    const permanent = await enqueue(c.store, null, 'final', false);
    const plain = await enqueue(c.store, null, 'final', false);
    c.clock.advance(1);
    const lc = await workerProcess(c);
    const deliver: DeliverHandler = async (row) => {
      if (row.id === terminal) throw new DeliveryError('bot was blocked by the user', 'terminal');
      if (row.id === permanent) throw new DeliveryError('message too long', 'permanent');
      throw new Error('socket hang up');
    };
    const report = await withWorker(lc, { deliver }, (w) => w.runOnce());
    assert.equal(report.rowsFailed, 3);
    const got: unknown[] = [];
    for (const id of [terminal, permanent, plain]) {
      const r = (await lc.getRow(id))!;
      got.push([r.status, r.errorClass, r.lastError]);
    }
    assert.deepEqual(got, [
      ['failed_terminal', 'terminal', 'bot was blocked by the user'],
      ['failed_terminal', 'permanent', 'message too long'],
      ['failed_retryable', 'retryable', 'socket hang up'],
    ]);
  },
  crashedGateway(),
);
