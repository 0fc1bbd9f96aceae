import fs from 'node:fs';
import { setImmediate as tick, setTimeout as sleep } from 'node:timers/promises';
import { seededRandom } from '../../main/demo/random';
import type { LifecycleConfig } from '../../main/lifecycle/config';
import { Lifecycle } from '../../main/lifecycle/lifecycle';
import { RecoveryWorker } from '../../main/recovery/worker';
import { percentile } from './stats';
import { inbound, reply } from './throughput-shared';
import { SqliteStore } from '../../main/store/sqlite/store';

// One process of the contention run (contention.ts): `node contention-child.js <mode> <options JSON>`.
// Each prints one JSON line on stdout when it is done; everything else goes to stderr.

export interface ChildOptions {
  db: string;
  config: Partial<LifecycleConfig>;
  /** gateway and worker: where their sends go (one JSON line each). */
  sink?: string;
  /** gateway: turns to run, PRNG seed, turns in flight, share of sends that "fail". */
  turns?: number;
  seed?: number;
  lanes?: number;
  failRate?: number;
  /** worker: pass interval. */
  tickMs?: number;
  /** worker: drain once this file exists; reader: stop once it exists. */
  stopFile?: string;
  /** worker: give up draining after this long (rows left are reported as pending). */
  drainCapMs?: number;
  /** reader: pause between rounds, as a dashboard polls rather than spins. */
  pauseMs?: number;
}

/** Thrown calls by "call: code", with the first message seen for each. */
export interface Thrown {
  counts: Record<string, number>;
  samples: Record<string, string>;
}

export interface GatewayResult {
  mode: 'gateway';
  pid: number;
  owner: string;
  turns: number;
  /** Turns whose every call returned (none threw). */
  completed: number;
  sent: number;
  failedOnPurpose: number;
  refused: number;
  thrown: Thrown;
  startedAt: number;
  endedAt: number;
}

export interface WorkerResult {
  mode: 'worker';
  pid: number;
  owner: string;
  passes: number;
  sent: number;
  refused: number;
  rowsDelivered: number;
  rowsFailed: number;
  turnsFinalized: number;
  errors: Thrown;
  drainMs: number;
  drainCapped: boolean;
}

export interface QueryTimes {
  calls: number;
  p50: number;
  p99: number;
  max: number;
}

export interface ReaderResult {
  mode: 'reader';
  pid: number;
  rounds: number;
  queries: Record<string, QueryTimes>;
  errors: Thrown;
}

export type ChildResult = GatewayResult | WorkerResult | ReaderResult;

export function thrown(): Thrown & { add(call: string, err: unknown): void } {
  const t = {
    counts: {} as Record<string, number>,
    samples: {} as Record<string, string>,
    add(call: string, err: unknown): void {
      // The worker wraps the core's error; its code is on the cause.
      const e = ((err as { cause?: unknown }).cause ?? err) as { code?: unknown; name?: unknown; message?: unknown };
      const key = `${call}: ${String(e.code ?? e.name ?? 'unknown')}`;
      t.counts[key] = (t.counts[key] ?? 0) + 1;
      t.samples[key] ??= String((err as Error).message ?? err).slice(0, 300);
    },
  };
  return t;
}

function send(sink: string, rowId: string, lc: Lifecycle): void {
  // Synchronous, like the demo sink: a send is in the file or not, whatever happens next.
  fs.appendFileSync(sink, `${JSON.stringify({ rowId, by: lc.core.owner, pid: process.pid })}\n`);
}

async function gateway(o: ChildOptions): Promise<GatewayResult> {
  const lc = Lifecycle.open(o.db, { config: o.config });
  const random = seededRandom(o.seed ?? 1);
  const errors = thrown();
  const total = o.turns ?? 0;
  let completed = 0;
  let sent = 0;
  let failedOnPurpose = 0;
  let refused = 0;
  let next = 0;

  const turn = async (i: number): Promise<void> => {
    const input = inbound(`g${o.seed ?? 1}`, i);
    let call = 'accept';
    try {
      const { turn: t } = lc.accept(input);
      await tick();
      call = 'markRunning';
      lc.markRunning(t.id);
      await tick();
      call = 'enqueue';
      const { row } = lc.enqueue({
        turnId: t.id,
        channel: input.route.channel,
        target: input.route.to,
        dispatchKind: 'final',
        payload: reply(i),
        idempotencyKey: `${t.id}:final`,
      });
      await tick();
      call = 'beginSend';
      if (!lc.beginSend(row.id)) {
        refused++;
      } else if (random() < (o.failRate ?? 0)) {
        // Not sent: the worker must send it once its backoff is due, exactly once.
        call = 'fail';
        lc.fail(row.id, { error: '502', errorClass: 'retryable' });
        failedOnPurpose++;
      } else {
        send(o.sink!, row.id, lc);
        sent++;
        await tick();
        call = 'ack';
        lc.ack(row.id);
      }
      await tick();
      call = 'finalize';
      lc.finalize(t.id);
      completed++;
    } catch (err) {
      errors.add(call, err);
    }
  };

  const lane = async (): Promise<void> => {
    while (next < total) await turn(next++);
  };
  const startedAt = Date.now();
  await Promise.all(Array.from({ length: o.lanes ?? 8 }, lane));
  const endedAt = Date.now();
  const owner = lc.core.owner;
  lc.close();
  const { counts, samples } = errors;
  return {
    mode: 'gateway',
    pid: process.pid,
    owner,
    turns: total,
    completed,
    sent,
    failedOnPurpose,
    refused,
    thrown: { counts, samples },
    startedAt,
    endedAt,
  };
}

/**
 * Pending final rows the worker will still pick up: unclaimed or with a lapsed claim (a row
 * failed with backoff is one of them). Rows held by a gateway's live lease or by this worker's
 * own claim after a failed outcome are not: they wait minutes, and are reported as pending.
 */
function sendable(lc: Lifecycle): number {
  const row = lc.db
    .prepare(
      `SELECT count(*) AS n FROM message_outbox
       WHERE status IN ('queued', 'failed_retryable') AND (dispatch_kind IS NULL OR dispatch_kind = 'final')
         AND (claim_expires_at IS NULL OR claim_expires_at <= ?)`,
    )
    .get(Date.now()) as { n: number };
  return row.n;
}

async function worker(o: ChildOptions): Promise<WorkerResult> {
  const lc = Lifecycle.open(o.db, { config: o.config });
  const errors = thrown();
  const r = { passes: 0, sent: 0, refused: 0, rowsDelivered: 0, rowsFailed: 0, turnsFinalized: 0 };
  const w = new RecoveryWorker(new SqliteStore(lc), {
    tickMs: o.tickMs ?? 200,
    deliver: async (row) => {
      if (!lc.beginSend(row.id)) {
        r.refused++;
        throw new Error(`beginSend refused row ${row.id}`);
      }
      send(o.sink!, row.id, lc);
      r.sent++;
    },
  });
  let draining = false;
  let drained!: () => void;
  const done = new Promise<void>((resolve) => (drained = resolve));
  w.on('error', (err) => errors.add('worker', err));
  w.on('pass', (p) => {
    r.passes++;
    r.rowsDelivered += p.rowsDelivered;
    r.rowsFailed += p.rowsFailed;
    r.turnsFinalized += p.turnsFinalized;
    // Checked between passes, never during one: stopping mid-send would leave a sent row unacked.
    if (draining && sendable(lc) === 0) drained();
  });
  w.start();
  while (!fs.existsSync(o.stopFile!)) await sleep(100);
  const drainFrom = Date.now();
  draining = true;
  // Unref'd: once drained, the cap's timer must not keep the process alive.
  const cap = sleep(o.drainCapMs ?? 30_000, true, { ref: false });
  const drainCapped = await Promise.race([done.then(() => false), cap]);
  const drainMs = Date.now() - drainFrom;
  await w.stop();
  const owner = lc.core.owner;
  lc.close();
  const { counts, samples } = errors;
  return { mode: 'worker', pid: process.pid, owner, ...r, errors: { counts, samples }, drainMs, drainCapped };
}

async function reader(o: ChildOptions): Promise<ReaderResult> {
  const lc = Lifecycle.open(o.db, { config: o.config });
  const errors = thrown();
  const queries: [string, () => unknown][] = [
    ['status()', () => lc.status()],
    ['listTurns({ limit: 50 })', () => lc.listTurns({ limit: 50 })],
    ['listTurns({ stuck: true, limit: 50 })', () => lc.listTurns({ stuck: true, limit: 50 })],
    ['listOutbox({ limit: 50 })', () => lc.listOutbox({ limit: 50 })],
  ];
  const times = queries.map((): number[] => []);
  let rounds = 0;
  while (!fs.existsSync(o.stopFile!)) {
    for (const [k, [label, query]] of queries.entries()) {
      const t0 = process.hrtime.bigint();
      try {
        query();
        times[k]!.push(Number(process.hrtime.bigint() - t0) / 1e6);
      } catch (err) {
        errors.add(label, err);
      }
    }
    rounds++;
    await sleep(o.pauseMs ?? 10);
  }
  lc.close();
  const result: Record<string, QueryTimes> = {};
  for (const [k, [label]] of queries.entries()) {
    const sorted = times[k]!.sort((a, b) => a - b);
    result[label] = {
      calls: sorted.length,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      max: sorted.at(-1) ?? NaN,
    };
  }
  const { counts, samples } = errors;
  return { mode: 'reader', pid: process.pid, rounds, queries: result, errors: { counts, samples } };
}

async function main(): Promise<void> {
  const [mode, json] = process.argv.slice(2);
  const options = JSON.parse(json ?? '{}') as ChildOptions;
  const run = { gateway, worker, reader }[mode as 'gateway' | 'worker' | 'reader'];
  if (!run) throw new Error(`usage: contention-child.js gateway|worker|reader '<options JSON>' (got ${mode})`);
  const result: ChildResult = await run(options);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
