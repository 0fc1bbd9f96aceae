import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Lifecycle } from '../../main/lifecycle/lifecycle';
import type { ChildOptions, ChildResult, GatewayResult, ReaderResult, Thrown, WorkerResult } from './contention-child';
import { runJsonChild } from './child-process';
import { heading, int, ms, table } from './stats';

// Several processes on one SQLite file, as when gateways, the recovery worker and the
// dashboard share a state dir: 2 gateways running live turns (one transaction per call),
// 1 recovery worker sending what they failed, 1 reader doing the dashboard's reads.
// Real processes, because locks, busy waits and claims only contend across connections.

const GATEWAYS = 2;
const LANES = 8;
const FAIL_RATE = 0.1;
const READ_PAUSE_MS = 10;
const TICK_MS = 200;
const DRAIN_CAP_MS = 30_000;
// Failed rows are due again quickly, so the worker's retries overlap the gateways' traffic.
const CONFIG = { outboxBackoffMs: [200] };

const BUSY = /^(locked|SQLITE_BUSY\w*|SQLITE_LOCKED\w*)$/;

function runChild<T extends ChildResult>(mode: T['mode'], options: ChildOptions): Promise<T> {
  return runJsonChild<T>(path.join(__dirname, 'contention-child.js'), [mode, JSON.stringify(options)], mode);
}

export function total(t: Thrown, only?: RegExp): number {
  return Object.entries(t.counts)
    .filter(([key]) => !only || only.test(key.slice(key.lastIndexOf(': ') + 2)))
    .reduce((n, [, c]) => n + c, 0);
}

/** rowId → number of sink lines naming it, over every process's sink file. */
function sends(files: string[]): Map<string, number> {
  const seen = new Map<string, number>();
  for (const file of files) {
    if (!fs.existsSync(file)) continue;
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      const { rowId } = JSON.parse(line) as { rowId: string };
      seen.set(rowId, (seen.get(rowId) ?? 0) + 1);
    }
  }
  return seen;
}

function finalState(file: string): {
  pendingRows: number;
  deliveredRows: number;
  openTurns: number;
  delivered: number;
} {
  const db = new Database(file, { readonly: true });
  const n = (sql: string): number => (db.prepare(sql).get() as { n: number }).n;
  const state = {
    pendingRows: n("SELECT count(*) AS n FROM message_outbox WHERE status IN ('queued', 'failed_retryable')"),
    deliveredRows: n("SELECT count(*) AS n FROM message_outbox WHERE status = 'delivered'"),
    openTurns: n(
      "SELECT count(*) AS n FROM message_turns WHERE status NOT IN ('delivered', 'failed_terminal', 'aborted')",
    ),
    delivered: n("SELECT count(*) AS n FROM message_turns WHERE status = 'delivered'"),
  };
  db.close();
  return state;
}

export async function contention(turns: number): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifecycle-desk-contention-'));
  const db = path.join(dir, 'message-lifecycle.db');
  const gatewaysDone = path.join(dir, 'gateways-done');
  const readerStop = path.join(dir, 'reader-stop');
  const sink = (name: string): string => path.join(dir, `sink-${name}.jsonl`);
  heading(`contention: ${GATEWAYS} gateways × ${int(turns)} turns, 1 worker, 1 reader, one file`);
  console.log(`separate processes on ${db};`);
  console.log(
    `gateways: ${LANES} turns in flight each, one transaction per call, ${FAIL_RATE * 100}% of sends failed on purpose;`,
  );
  console.log(
    `worker: tick ${TICK_MS} ms, backoff ${CONFIG.outboxBackoffMs[0]} ms; reader: a round of 4 reads every ${READ_PAUSE_MS} ms.`,
  );
  // Created (and migrated) once here, so the children only open it.
  Lifecycle.open(db, { config: CONFIG }).close();

  let results: [GatewayResult[], WorkerResult, ReaderResult];
  try {
    const reader = runChild<ReaderResult>('reader', {
      db,
      config: CONFIG,
      stopFile: readerStop,
      pauseMs: READ_PAUSE_MS,
    });
    const worker = runChild<WorkerResult>('worker', {
      db,
      config: CONFIG,
      sink: sink('worker'),
      tickMs: TICK_MS,
      stopFile: gatewaysDone,
      drainCapMs: DRAIN_CAP_MS,
    });
    const gateways = Array.from({ length: GATEWAYS }, (_, k) =>
      runChild<GatewayResult>('gateway', {
        db,
        config: CONFIG,
        sink: sink(`gateway-${k + 1}`),
        turns,
        seed: k + 1,
        lanes: LANES,
        failRate: FAIL_RATE,
      }),
    );
    // Tell the worker and then the reader to finish even if a sibling failed, so none is left running.
    const g = Promise.allSettled(gateways).then(() => fs.writeFileSync(gatewaysDone, ''));
    const w = Promise.allSettled([worker]).then(() => fs.writeFileSync(readerStop, ''));
    await Promise.allSettled([g, w, reader]);
    results = [await Promise.all(gateways), await worker, await reader];
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const [gws, worker, reader] = results;
  const seen = sends([...gws.map((_, k) => sink(`gateway-${k + 1}`)), sink('worker')]);
  const state = finalState(db);
  fs.rmSync(dir, { recursive: true, force: true });

  const phaseMs = Math.max(...gws.map((r) => r.endedAt)) - Math.min(...gws.map((r) => r.startedAt));
  const gatewayTurns = gws.reduce((n, r) => n + r.turns, 0);
  const duplicates = [...seen.values()].filter((c) => c > 1).length;
  const busy =
    gws.reduce((n, r) => n + total(r.thrown, BUSY), 0) + total(worker.errors, BUSY) + total(reader.errors, BUSY);

  console.log();
  console.log(
    table(
      ['process', 'turns', 'completed', 'sent', 'failed on purpose', 'refused', 'thrown', 'turns/s'],
      [
        ...gws.map((r, k) => [
          `gateway ${k + 1} (pid ${r.pid})`,
          int(r.turns),
          int(r.completed),
          int(r.sent),
          int(r.failedOnPurpose),
          int(r.refused),
          int(total(r.thrown)),
          int((r.turns / (r.endedAt - r.startedAt)) * 1000),
        ]),
        [
          `worker (pid ${worker.pid})`,
          '-',
          '-',
          int(worker.sent),
          '-',
          int(worker.refused),
          int(total(worker.errors)),
          '-',
        ],
      ],
    ),
  );
  console.log();
  const must0 = (n: number): string => (n === 0 ? 'must be 0' : 'must be 0 — NOT 0');
  const expect0 = (n: number): string => (n === 0 ? '0 expected' : '0 expected — NOT 0');
  console.log(
    table(
      ['', 'value', ''],
      [
        [
          'turns/s overall (gateway turns / gateway phase)',
          int((gatewayTurns / phaseMs) * 1000),
          `${int(gatewayTurns)} turns in ${ms(phaseMs)}`,
        ],
        ...gws.map((r, k) => [`thrown calls, gateway ${k + 1}`, int(total(r.thrown)), must0(total(r.thrown))]),
        ['worker errors', int(total(worker.errors)), must0(total(worker.errors))],
        ['reader errors', int(total(reader.errors)), must0(total(reader.errors))],
        ['busy/locked errors (all processes)', int(busy), must0(busy)],
        ['duplicates (rowId in > 1 sink line)', int(duplicates), must0(duplicates)],
        ['rows still pending at the end', int(state.pendingRows), expect0(state.pendingRows)],
        ['turns not terminal at the end', int(state.openTurns), expect0(state.openTurns)],
        ['sends (distinct rows in sinks) / rows delivered', `${int(seen.size)} / ${int(state.deliveredRows)}`, 'equal'],
        ['turns delivered', int(state.delivered), `of ${int(gatewayTurns)}`],
        [
          'worker: passes, rows delivered / failed, drain after gateways',
          `${int(worker.passes)}, ${int(worker.rowsDelivered)} / ${int(worker.rowsFailed)}, ${ms(worker.drainMs)}`,
          worker.drainCapped ? `stopped at the ${DRAIN_CAP_MS / 1000} s cap` : '',
        ],
      ],
    ),
  );
  const failures = [
    ...gws.map((r, k) => [`gateway ${k + 1}`, r.thrown] as const),
    ['worker', worker.errors] as const,
    ['reader', reader.errors] as const,
  ].flatMap(([who, t]) => Object.entries(t.counts).map(([key, n]) => `  ${who} ${key} × ${int(n)}: ${t.samples[key]}`));
  if (failures.length > 0) console.log(['', 'thrown, by call and code (first message):', ...failures].join('\n'));
  console.log();
  console.log(`reader: ${int(reader.rounds)} rounds during the run`);
  console.log(
    table(
      ['query', 'calls', 'p50', 'p99', 'max'],
      Object.entries(reader.queries).map(([label, t]) => [label, int(t.calls), ms(t.p50), ms(t.p99), ms(t.max)]),
    ),
  );
}
