// Many processes, one file (SPEC "Who writes the file"): real child processes on one database —
// gateways that never see a busy error, workers that never send a row twice, claims with one
// owner, expiry and abort that respect a send in flight, and a lock held too long surfaced as
// `locked`.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { Lifecycle, LifecycleError, RecoveryWorker } from '../../main/lifecycle';
import type { GatewayReport, SinkEntry, WorkerOptions, WorkerReport } from '../helpers/contention-child';
import { ROUTE, openPeer, openTemp, tempDir } from '../helpers/temp-db';
import { SqliteStore } from '../../main/store/sqlite/store';

const CHILD = path.join(__dirname, '..', 'helpers', 'contention-child.js');

/**
 * A start line for `size` children run with `barrier: true`: each prints "ready" once loaded and
 * waits; when all have, each is told "go" on stdin. A child that exits first releases the rest
 * (their stdin ends, so they fail instead of waiting forever).
 */
interface Barrier {
  ready(child: ChildProcess): void;
  exited(): void;
}
function barrier(size: number): Barrier {
  const waiting: ChildProcess[] = [];
  let released = false;
  const release = (data: string): void => {
    released = true;
    for (const c of waiting) c.stdin?.end(data);
  };
  return {
    ready(child) {
      waiting.push(child);
      if (waiting.length === size) release('go\n');
    },
    exited() {
      if (!released) release('');
    },
  };
}

function run<T>(mode: string, options: object, start?: Barrier): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, mode, JSON.stringify({ ...options, barrier: start !== undefined })], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    if (!start) child.stdin.end();
    let out = '';
    let err = '';
    let ready = false;
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      if (start && !ready && out.startsWith('ready\n')) {
        ready = true;
        start.ready(child);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    child.on('error', reject);
    child.on('exit', (code) => {
      start?.exited();
      if (code !== 0) reject(new Error(`${mode} child exited with ${code}: ${err}`));
      else resolve(JSON.parse(out.trim().split('\n').pop()!) as T);
    });
  });
}

function readSink(file: string): SinkEntry[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as SinkEntry);
}

function sentTwice(sink: SinkEntry[]): string[] {
  const seen = new Map<string, number>();
  for (const e of sink) seen.set(e.rowId, (seen.get(e.rowId) ?? 0) + 1);
  return [...seen].filter(([, n]) => n > 1).map(([id, n]) => `${id} ×${n}`);
}

function countBy(db: Database.Database, table: string): Record<string, number> {
  const rows = db.prepare(`SELECT status, count(*) AS n FROM ${table} GROUP BY status`).all() as {
    status: string;
    n: number;
  }[];
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

test('two gateway processes × 1,500 plain turns on one file: no call throws, every turn delivered', async () => {
  const file = path.join(tempDir(), 'message-lifecycle.db');
  Lifecycle.open(file).close(); // both start on a migrated file; the race to create it has its own test
  const start = barrier(2); // and together, so they really contend
  const reports = await Promise.all(
    ['gw-a', 'gw-b'].map((tag) => run<GatewayReport>('gateway', { db: file, turns: 1_500, tag }, start)),
  );
  for (const r of reports) {
    assert.equal(r.thrown, 0, `thrown calls: ${JSON.stringify(r.errors)}`);
    assert.equal(r.acked, 1_500);
  }
  const db = new Database(file, { readonly: true });
  try {
    assert.deepEqual(countBy(db, 'message_turns'), { delivered: 3_000 });
    assert.deepEqual(countBy(db, 'message_outbox'), { delivered: 3_000 });
  } finally {
    db.close();
  }
});

test('two processes opening a new file at once: both migrate-or-adopt it without an error', async () => {
  const file = path.join(tempDir(), 'message-lifecycle.db');
  const start = barrier(3);
  const reports = await Promise.all(
    ['gw-a', 'gw-b', 'gw-c'].map((tag) => run<GatewayReport>('gateway', { db: file, turns: 20, tag }, start)),
  );
  for (const r of reports) assert.equal(r.thrown, 0, JSON.stringify(r.errors));
});

/** A file with `n` turns, each with one final row due now that no live send holds. */
function dueRows(n: number): { file: string; sink: string; ids: string[] } {
  const dir = tempDir();
  const file = path.join(dir, 'message-lifecycle.db');
  const lc = Lifecycle.open(file, { owner: 'gateway-gone' });
  const ids: string[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const turn = lc.accept({ channel: 'telegram', sessionKey: `s${i % 40}`, payload: { i }, route: ROUTE }).turn;
      lc.markRunning(turn.id);
      const { row } = lc.enqueue({
        turnId: turn.id,
        channel: 'telegram',
        target: 'chat-1',
        dispatchKind: 'final',
        payload: { i },
        live: false,
      });
      ids.push(row.id);
    }
  } finally {
    lc.close();
  }
  return { file, sink: path.join(dir, 'sink.jsonl'), ids };
}

async function twoWorkers(
  rows: number,
  over: Partial<WorkerOptions>,
): Promise<{ sink: SinkEntry[]; ids: string[]; reports: WorkerReport[]; file: string }> {
  const { file, sink, ids } = dueRows(rows);
  const origin = Date.now();
  // Both start their passes together: "both workers sent rows" must not depend on which process
  // happened to load first.
  const start = barrier(2);
  const reports = await Promise.all(
    ['worker-a', 'worker-b'].map((owner, i) =>
      run<WorkerReport>(
        'worker',
        {
          db: file,
          sink,
          owner,
          seed: 17 + i,
          failureRate: 0,
          sendMs: 1,
          clockScale: 1,
          clockOrigin: origin,
          ...over,
        } satisfies WorkerOptions,
        start,
      ),
    ),
  );
  return { sink: readSink(sink), ids, reports, file };
}

function assertExactlyOnce(result: Awaited<ReturnType<typeof twoWorkers>>): void {
  for (const r of result.reports) assert.deepEqual(r.errors, [], 'worker errors');
  assert.deepEqual(sentTwice(result.sink), [], 'rows sent more than once');
  assert.deepEqual(new Set(result.sink.map((e) => e.rowId)), new Set(result.ids), 'every row was sent');
  const db = new Database(result.file, { readonly: true });
  try {
    assert.deepEqual(countBy(db, 'message_outbox'), { delivered: result.ids.length });
  } finally {
    db.close();
  }
  const byWorker = new Set(result.sink.map((e) => e.by));
  assert.equal(byWorker.size, 2, 'both workers sent rows (they really competed)');
}

test('two worker processes over 600 due final rows: every row delivered exactly once', async () => {
  assertExactlyOnce(await twoWorkers(600, {}));
});

test('two worker processes over 600 due rows with 20 % retryable failures: every row delivered exactly once', async () => {
  const result = await twoWorkers(600, {
    failureRate: 0.2,
    config: { outboxBackoffMs: [50], outboxMaxAttempts: 50 },
  });
  assertExactlyOnce(result);
  assert.ok(result.reports.reduce((n, r) => n + r.failed, 0) > 50, 'failures happened and were retried');
});

test('a send slower than the live lease is never taken over by the other worker', async () => {
  // Clocks run 100× fast: the live lease (5 s) lapses after 50 real ms, a send takes 150 ms
  // (15 s on the core's clock), the handler timeout is 60 s (600 ms).
  const result = await twoWorkers(20, {
    sendMs: 150,
    clockScale: 100,
    // Small batches, so both workers have rows in flight while the other runs its passes.
    config: { liveLeaseMs: 5_000, handlerTimeoutMs: 60_000, maxRowsPerPass: 4 },
  });
  assertExactlyOnce(result);
  for (const e of result.sink) assert.ok(e.end - e.start > 5_000, 'each send outlasted the live lease');
});

test('a config whose lease cannot outlast the wait for the lock is refused', () => {
  const file = path.join(tempDir(), 'message-lifecycle.db');
  assert.throws(
    () => Lifecycle.open(file, { config: { liveLeaseMs: 1_000 } }),
    /liveLeaseMs \(1000\) must be at least busyTimeoutMs/,
  );
  assert.throws(() => Lifecycle.open(file, { config: { handlerTimeoutMs: 0 } }), /handlerTimeoutMs must be a positive/);
  assert.equal(fs.existsSync(file), false, 'a refused config touches no file');
});

test('claims have one owner: another process can neither take, shorten nor release a held claim', () => {
  const temp = openTemp({ owner: 'worker-a' });
  const b = openPeer(temp, { owner: 'worker-b' });
  try {
    const { lc, clock } = temp;
    const turn = lc.accept({ channel: 'telegram', sessionKey: 's', payload: {}, route: ROUTE }).turn.id;
    const row = lc.enqueue({ turnId: turn, channel: 'telegram', dispatchKind: 'final', payload: {}, live: false }).row
      .id;
    const held = lc.beginSend(row); // the live lease: 5 min
    assert.equal(held?.claimOwner, 'worker-a');
    const until = held.claimExpiresAt!;
    assert.equal(b.beginSend(row), null, 'another process may not send a held row');
    assert.equal(
      lc.beginSend(row, { leaseMs: 60_000 })?.claimExpiresAt,
      until,
      "the holder's own shorter renewal never shortens its hold",
    );
    assert.equal(b.fail(row, { error: '502', errorClass: 'retryable' }), 'failed_retryable');
    const after = lc.getRow(row)!;
    assert.equal(after.claimOwner, 'worker-a', "a failure recorded by another process leaves the holder's claim");
    assert.equal(after.claimExpiresAt, until);
    clock.advance(5 * 60_000 + 1);
    assert.equal(b.beginSend(row)?.claimOwner, 'worker-b', 'a lapsed claim may be taken');
    assert.throws(() => lc.beginSend(row, { leaseMs: 10 }), /leaseMs must be at least busyTimeoutMs/);
  } finally {
    b.close();
    temp.lc.close();
  }
});

/** A running turn whose final reply is queued and due now, held by no live send. */
function runningWithDueFinal(lc: Lifecycle, sessionKey: string): { turn: string; row: string } {
  const turn = lc.accept({ channel: 'telegram', sessionKey, payload: {}, route: ROUTE }).turn.id;
  lc.markRunning(turn);
  const row = lc.enqueue({
    turnId: turn,
    channel: 'telegram',
    target: 'chat-1',
    dispatchKind: 'final',
    payload: {},
    live: false,
  }).row.id;
  return { turn, row };
}

test('expiry never overrides a send in flight: the row held by a worker is delivered, not expired', async () => {
  // Rows expire after 1 min; the worker holds a row for its handler timeout + live lease (6 min).
  const config = { outboxMaxAgeMs: 60_000 };
  const temp = openTemp({ owner: 'gateway', config });
  const worker = openPeer(temp, { owner: 'worker', config });
  const janitor = openPeer(temp, { owner: 'janitor', config });
  try {
    const { lc, clock } = temp;
    const { turn, row } = runningWithDueFinal(lc, 's');
    let expiredDuringSend: unknown;
    const w = new RecoveryWorker(new SqliteStore(worker), {
      deliver: async () => {
        clock.advance(2 * 60_000); // past the outbox max age while the send is in flight
        expiredDuringSend = janitor.expire();
      },
    });
    const report = await w.runOnce();
    await w.stop();
    assert.deepEqual(expiredDuringSend, { expiredRows: 0, lastChanceRows: 0, staleTurns: 0 });
    assert.equal(report.rowsDelivered, 1);
    assert.equal(lc.getRow(row)?.status, 'delivered');
    assert.equal(lc.getTurn(turn)?.status, 'delivered');
    // Once the send is over, an overdue row that nobody holds does expire.
    const late = lc.enqueue({ channel: 'telegram', target: 'chat-1', payload: {}, live: false }).row.id;
    clock.advance(2 * 60_000);
    assert.equal(janitor.expire().expiredRows, 1);
    assert.equal(lc.getRow(late)?.status, 'expired');
  } finally {
    janitor.close();
    worker.close();
    temp.lc.close();
  }
});

test('abort still wins over a send in flight: the late ack is refused and the history says it was sent', async () => {
  const temp = openTemp({ owner: 'gateway' });
  const worker = openPeer(temp, { owner: 'worker' });
  try {
    const { lc } = temp;
    const { turn, row } = runningWithDueFinal(lc, 'chat-9');
    const w = new RecoveryWorker(new SqliteStore(worker), {
      deliver: async () => {
        assert.equal(lc.abortSession('chat-9').outbox, 1, 'the abort cancels the row even while it is held');
      },
    });
    const report = await w.runOnce();
    await w.stop();
    assert.equal(report.rowsDelivered, 0);
    const after = lc.getRow(row)!;
    assert.equal(after.status, 'failed_terminal');
    assert.equal(after.terminalReason, 'turn_aborted');
    const late = lc
      .history(turn)
      .filter((h) => h.entityId === row && /^sent after it was failed_terminal/.test(h.reason ?? ''));
    assert.equal(late.length, 1, 'the history records the send that the abort could not stop');
    assert.equal(late[0]!.by, 'worker');
  } finally {
    worker.close();
    temp.lc.close();
  }
});

test('a write still locked after busy_timeout fails with code locked and writes nothing', async () => {
  const temp = openTemp();
  const { lc, file } = temp;
  // Another process holds the write lock for longer than the 5 s busy timeout.
  const holder = spawn(
    process.execPath,
    [
      '-e',
      `const D = require(${JSON.stringify(require.resolve('better-sqlite3'))}); const db = new D(${JSON.stringify(file)});
       db.exec('BEGIN IMMEDIATE'); console.log('holding'); setTimeout(() => { db.exec('ROLLBACK'); db.close(); }, 8000);`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
    const started = Date.now();
    assert.throws(
      () => lc.accept({ channel: 'telegram', sessionKey: 's', payload: {}, route: ROUTE }),
      (err: unknown) => err instanceof LifecycleError && err.code === 'locked' && /busy timeout/.test(err.message),
    );
    assert.ok(Date.now() - started >= 4_500, 'it waited for the busy timeout first');
    assert.equal(lc.status().turns.accepted, 0);
  } finally {
    holder.kill();
    lc.close();
  }
});
