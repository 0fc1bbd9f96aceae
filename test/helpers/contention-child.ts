// Real processes sharing one database file, for the contention tests (test/unit/contention.test.ts).
// Usage: node dist/test/helpers/contention-child.js <mode> <json options>. Prints one JSON line.
// Without arguments (as when a test runner loads every file) it does nothing.
//   gateway: a plain live loop, no group commit: accept → markRunning → enqueue → beginSend → ack → finalize
//   worker:  a RecoveryWorker over due final rows until none is pending; its sends go to a sink file
// With `barrier: true` a child prints "ready" and waits for "go" on stdin before it opens the file,
// so processes started together really run together (however long each took to start).
import fs from 'node:fs';
import { DeliveryError, Lifecycle, RecoveryWorker, type LifecycleConfig } from '../../main/lifecycle';
import { seededRandom } from '../../main/demo/random';
import { SqliteStore } from '../../main/store/sqlite/store';

/** Options every mode takes. */
interface Common {
  /** Print "ready", then wait for a "go" line on stdin before opening the file. */
  barrier?: boolean;
}

export interface GatewayOptions extends Common {
  db: string;
  turns: number;
  tag: string;
  config?: Partial<LifecycleConfig>;
}

export interface GatewayReport {
  turns: number;
  thrown: number;
  /** Thrown calls by step and error code. */
  errors: Record<string, number>;
  acked: number;
}

export interface WorkerOptions extends Common {
  db: string;
  sink: string;
  owner: string;
  seed: number;
  /** Share of sends that fail with a retryable error. */
  failureRate: number;
  /** How long one send takes, in real ms. */
  sendMs: number;
  /** The core's clock runs this many times faster than real time (leases in test minutes). */
  clockScale: number;
  clockOrigin: number;
  config?: Partial<LifecycleConfig>;
}

export interface WorkerReport {
  passes: number;
  delivered: number;
  failed: number;
  errors: string[];
}

export interface SinkEntry {
  rowId: string;
  by: string;
  start: number;
  end: number;
}

/** The same fast clock in every process: derived from the wall clock, so all of them agree. */
export function scaledClock(scale: number, origin: number): () => number {
  return () => origin + Math.round((Date.now() - origin) * scale);
}

/** The child's side of the barrier: "ready" on stdout, then a "go" line on stdin. */
async function waitForGo(): Promise<void> {
  process.stdout.write('ready\n');
  await new Promise<void>((resolve, reject) => {
    let input = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk: string) => {
      input += chunk;
      if (input.includes('go\n')) resolve();
    });
    process.stdin.on('end', () => reject(new Error('stdin ended before "go"')));
  });
  process.stdin.destroy();
}

function gateway(o: GatewayOptions): GatewayReport {
  const lc = Lifecycle.open(o.db, { config: o.config ?? {} });
  const report: GatewayReport = { turns: 0, thrown: 0, errors: {}, acked: 0 };
  const step = <T>(name: string, fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (err) {
      report.thrown++;
      const key = `${name}: ${(err as { code?: string }).code ?? (err as Error).message}`;
      report.errors[key] = (report.errors[key] ?? 0) + 1;
      return undefined;
    }
  };
  try {
    for (let i = 0; i < o.turns; i++) {
      const accepted = step('accept', () =>
        lc.accept({
          channel: 'telegram',
          sessionKey: `${o.tag}:chat-${i % 50}`,
          dedupeKey: `${o.tag}:m${i}`,
          payload: { text: `message ${i}` },
          route: { channel: 'telegram', to: `chat-${i % 50}` },
        }),
      );
      if (!accepted) continue;
      const id = accepted.turn.id;
      step('markRunning', () => lc.markRunning(id));
      const queued = step('enqueue', () =>
        lc.enqueue({
          turnId: id,
          channel: 'telegram',
          target: 'chat',
          dispatchKind: 'final',
          payload: { i },
          idempotencyKey: `${id}:final`,
        }),
      );
      if (queued && step('beginSend', () => lc.beginSend(queued.row.id))) {
        if (step('ack', () => lc.ack(queued.row.id))) report.acked++;
      }
      step('finalize', () => lc.finalize(id));
      report.turns++;
    }
  } finally {
    lc.close();
  }
  return report;
}

async function worker(o: WorkerOptions): Promise<WorkerReport> {
  const lc = Lifecycle.open(o.db, {
    owner: o.owner,
    now: scaledClock(o.clockScale, o.clockOrigin),
    config: o.config ?? {},
  });
  const random = seededRandom(o.seed);
  const report: WorkerReport = { passes: 0, delivered: 0, failed: 0, errors: [] };
  const w = new RecoveryWorker(new SqliteStore(lc), {
    concurrency: 4,
    deliver: async (row) => {
      if (random() < o.failureRate) throw new DeliveryError('502 Bad Gateway', 'retryable');
      const start = lc.core.now();
      if (o.sendMs > 0) await new Promise((r) => setTimeout(r, o.sendMs));
      // One line per send that reached the "platform", written when the send completed.
      fs.appendFileSync(o.sink, `${JSON.stringify({ rowId: row.id, by: o.owner, start, end: lc.core.now() })}\n`);
    },
  });
  w.on('error', (err) => report.errors.push(err.message));
  const pending = lc.db.prepare(
    "SELECT count(*) AS n FROM message_outbox WHERE status IN ('queued','failed_retryable')",
  );
  try {
    for (let i = 0; i < 10_000 && (pending.get() as { n: number }).n > 0; i++) {
      const r = await w.runOnce();
      report.passes++;
      report.delivered += r.rowsDelivered;
      report.failed += r.rowsFailed;
      if (r.rowsDelivered + r.rowsFailed === 0) await new Promise((res) => setTimeout(res, 10));
    }
  } finally {
    await w.stop();
    lc.close();
  }
  return report;
}

async function main(mode: string, json: string): Promise<void> {
  const options = JSON.parse(json) as Common;
  if (options.barrier === true) await waitForGo();
  const result = mode === 'gateway' ? gateway(options as GatewayOptions) : await worker(options as WorkerOptions);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

const [mode, json] = process.argv.slice(2);
if (require.main === module && mode !== undefined && json !== undefined) {
  main(mode, json).catch((err: unknown) => {
    process.stderr.write(`contention child failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  });
}
