import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SCHEMA_VERSION } from '../../main/lifecycle/migrations';
import { PgStore } from '../../main/store/postgres/store';
import { SqliteStore } from '../../main/store/sqlite/store';
import { pgCluster } from '../helpers/pg-cluster';
import { backends } from './backends';
import { channelStatsSection } from './channel-stats';
import { contention } from './contention';
import { ensureReadDb } from './generate';
import { readLatencies, readTable, type ReadReport } from './reads';
import { readsPg, type SqliteReads } from './reads-pg';
import { readsScaleSection } from './reads-scale';
import { readsUnderLoad } from './reads-under-load';
import { rendererBench } from './renderer';
import { triageSection } from './triage';
import { pgBench } from './pg-server';
import { envInt, heading, int, ratio, table } from './stats';
import { coreContenders, throughputSection } from './throughput';
import { coreThroughput } from './throughput-core';
import { plainjobThroughput } from './throughput-plainjob';
import { rawThroughput } from './throughput-raw';
import { runRounds, type Contender, type ThroughputResult } from './throughput-shared';
import { storeThroughput } from './throughput-store';

// `npm run bench`, in this order (each section prints its figures beside the targets;
// nothing is asserted):
//   throughput        the core's full turn against the raw-SQL floor and plainjob, and what each
//                     schema element costs the floor
//   contenders        more throughput contenders (per step, wider batches, the store contract, PgStore)
//   reads             reads on the generated 10M-turn / 30M-row file (cached in the temp dir):
//                     status, every filter combination, series; what v4's indexes cost a writer
//   reads-pg          PostgreSQL beside SQLite on the same generated rows (1M turns)
//   triage            issue 11's search, error groups, dead work, counts and audit on the 1M file,
//                     < 50 ms each
//   channels          issue 12's per-channel numbers and latency percentiles on 1M turns (< 100 ms),
//                     migration 6 and what its triggers cost a writer
//   reads-under-load  every dashboard call through ApiHost while the recovery worker runs and a
//                     gateway process writes 500 turns/s (1M turns), beside the one-connection way
//   renderer          the dashboard in Chromium on the 10M file: first paint, click to rows, DOM
//                     rows and heap while scrolling 10,000 rows
//   contention        gateways, worker and reader as separate processes on one file
//   backends          the full turn from 1, 2 and 4 gateway processes on SQLite and on PostgreSQL
//
//   BENCH_ONLY=reads,renderer   only these sections
//   BENCH_TURNS               size of the generated file for reads and renderer (default 10,000,000)
//   BENCH_INDEX_COST_TURNS    turns per run of the index-cost table (default 20,000)
//   BENCH_PG_READ_TURNS       size for reads-pg (default 1,000,000)
//   BENCH_TRIAGE_TURNS        size for triage (default 1,000,000)
//   BENCH_CHANNEL_TURNS       size for channels (default 1,000,000); BENCH_CHANNEL_WRITE_TURNS its trigger-cost runs
//   BENCH_LOAD_TURNS          size for reads-under-load (default 1,000,000); BENCH_LOAD_MS (60 s),
//                             BENCH_LOAD_RATE (500 turns/s), BENCH_LOAD_BASELINE=0 skips the baseline
//   BENCH_RENDERER_RUNS, BENCH_RENDERER_ROWS   renderer runs (5) and rows scrolled (10,000)
//   BENCH_THROUGHPUT_TURNS    turns per throughput run (default 20,000)
//   BENCH_CONCURRENCY         turns in flight (default 64)
//   BENCH_ROUNDS              throughput rounds, best reported (default 2)
//   BENCH_CONTENTION_TURNS    turns per gateway process in the contention run (default 3,000)
//   BENCH_PG_TURNS            turns per PgStore throughput run (default 2,000: one commit per call)
//   BENCH_BACKEND_TURNS       turns per run across processes, split among them (default 1,600)
//   BENCH_BACKEND_INFLIGHT    turns in flight in each gateway process there (default 32)
//   BENCH_PG_POOL             PgStore's connections per process (default 10, the store's default)
//
// PostgreSQL is the throwaway cluster of test/helpers/pg-cluster.ts (or LIFECYCLE_PG_URL's
// server); where it cannot run, its contenders are skipped with a one-line reason.

function machine(): void {
  const db = new Database(':memory:');
  const sqlite = (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
  db.close();
  const cpus = os.cpus();
  const bsqlite = (
    JSON.parse(fs.readFileSync(require.resolve('better-sqlite3/package.json'), 'utf8')) as { version: string }
  ).version;
  heading('machine');
  console.log(
    table(
      ['', ''],
      [
        ['cpus', `${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown'}`],
        ['memory', `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`],
        ['os', `${os.type()} ${os.release()} ${os.arch()}`],
        ['node', process.version],
        ['sqlite', `${sqlite} (better-sqlite3 ${bsqlite})`],
        ['schema version', String(SCHEMA_VERSION)],
        ['temp dir', os.tmpdir()],
        [
          'load average',
          os
            .loadavg()
            .map((l) => l.toFixed(2))
            .join(' '),
        ],
      ],
    ),
  );
}

async function throughput(
  turns: number,
  concurrency: number,
  rounds: number,
  pgRun: { turns: number; poolSize: number },
): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifecycle-desk-bench-'));
  const warmup = Math.min(2_000, Math.ceil(turns / 10));
  heading(`throughput, more contenders: full turn, ${int(turns)} turns, ${concurrency} in flight`);
  console.log('accept → markRunning → enqueue final → beginSend → ack → finalize, each step awaited;');
  console.log(`WAL + synchronous=NORMAL, fresh files under ${dir}, ${int(warmup)} warm-up turns first;`);
  console.log(`${rounds} rounds, contenders alternating, best round reported (CPU = user+sys of this process).`);
  const pg = await pgBench();
  if (pg.ok) {
    console.log(
      `PgStore: ${int(pgRun.turns)} turns on a fresh database per round (the server's CPU is not in its CPU column);`,
    );
    console.log(`${pg.settings}.`);
  } else console.log(`PgStore skipped: ${pg.reason}`);
  const contenders: Contender[] = [
    ...coreContenders(turns, concurrency, warmup),
    (d) => rawThroughput(d, { turns, concurrency, warmup, mode: 'grouped', schema: 'same' }),
    (d) => rawThroughput(d, { turns, concurrency, warmup, mode: 'grouped', schema: 'bare' }),
    (d) => rawThroughput(d, { turns, concurrency, warmup, mode: 'per-step', schema: 'same' }),
    (d) => coreThroughput(d, { turns, concurrency, warmup, grouped: false }),
    (d) => plainjobThroughput(d, { jobs: turns, warmup }),
    // For information: how the core scales when more turns share each commit window.
    (d) => coreThroughput(d, { turns, concurrency: concurrency * 4, warmup, grouped: true }),
    ...(pg.ok
      ? [
          () =>
            storeThroughput(
              () => PgStore.open(pgCluster().createDatabase('bench_throughput'), { poolSize: pgRun.poolSize }),
              {
                label: `PgStore, 1 process (${concurrency} in flight, pool ${pgRun.poolSize})`,
                turns: pgRun.turns,
                concurrency,
                warmup: Math.min(warmup, Math.ceil(pgRun.turns / 10)),
              },
            ),
        ]
      : []),
  ];
  const all = await runRounds(dir, contenders, rounds);
  const best = all.map((rs) => rs.reduce((a, b) => (b.perSec > a.perSec ? b : a)));
  const [core, viaStore, floor, bare, , coreSingle, plain, , pgStore] = best as [
    ThroughputResult,
    ThroughputResult,
    ThroughputResult,
    ThroughputResult,
    ThroughputResult,
    ThroughputResult,
    ThroughputResult,
    ThroughputResult,
    ThroughputResult | undefined,
  ];
  console.log();
  console.log(
    table(
      ['', 'turns/s', 'rounds', 'wall µs/turn', 'CPU µs/turn', 'commits', 'check', 'note'],
      best.map((r, k) => [
        r.label,
        int(r.perSec),
        all[k]!.map((x) => int(x.perSec)).join(' / '),
        ((r.ms * 1000) / r.turns).toFixed(0),
        ((r.cpuMs * 1000) / r.turns).toFixed(0),
        r.commits === undefined ? '-' : int(r.commits),
        r.check,
        r.note ?? '',
      ]),
    ),
  );
  console.log();
  const cpuRatio = (a: ThroughputResult, b: ThroughputResult): string => ratio(b.cpuMs / b.turns / (a.cpuMs / a.turns));
  console.log(
    table(
      ['ratio (throughput)', 'wall', 'CPU', 'target'],
      [
        [
          'core / raw floor (same schema, grouped)',
          ratio(core.perSec / floor.perSec),
          cpuRatio(core, floor),
          'targets: see "core at the floor"',
        ],
        [
          'core / plainjob',
          ratio(core.perSec / plain.perSec),
          cpuRatio(core, plain),
          'targets: see "core at the floor"',
        ],
        [
          'core / raw on bare SPEC schema (grouped)',
          ratio(core.perSec / bare.perSec),
          cpuRatio(core, bare),
          'for information',
        ],
        [
          'core grouped / core one transaction per step',
          ratio(core.perSec / coreSingle.perSec),
          cpuRatio(core, coreSingle),
          'for information',
        ],
        [
          'core via the store contract / core grouped',
          ratio(viaStore.perSec / core.perSec),
          cpuRatio(viaStore, core),
          'for information',
        ],
        ...(pgStore
          ? [
              [
                'PgStore, 1 process / core via the store contract',
                ratio(pgStore.perSec / viaStore.perSec),
                cpuRatio(pgStore, viaStore),
                'for information (CPU: this process only)',
              ],
            ]
          : []),
      ],
    ),
  );
  console.log("(CPU ratio: the other side's CPU time per turn / the core's, i.e. throughput if both were CPU-bound.)");
}

/** Runs of each read call after its warm-up runs (fewer for a slow call: see measure). */
const READS = { runs: 100, warmup: 5, budgetMs: 3_000, minRuns: 10 } as const;

async function reads(turns: number): Promise<SqliteReads> {
  heading(`read latency: ${int(turns)} turns / ${int(turns * 3)} outbox rows`);
  const data = ensureReadDb(turns, (line) => console.log(line));
  // The clock fixed at the moment the data was generated, so a cached file looks as fresh (what
  // is stuck, what falls in the last 24 hours) as it did then, and as the PostgreSQL copy does.
  const store = SqliteStore.open(data.file, { now: () => data.generatedAt });
  let report: ReadReport;
  try {
    report = await readLatencies(store, READS);
  } finally {
    await store.close();
  }
  console.log(
    `${data.file}: ${(data.bytes / 2 ** 20).toFixed(0)} MiB, ` +
      (data.generationMs === null
        ? 'cached from an earlier run'
        : `generated in ${(data.generationMs / 1000).toFixed(1)} s`) +
      `; ${int(report.activeTurns)} non-terminal turns, ${int(report.stuckTurns)} stuck turns, ${int(report.stuckOutbox)} stuck rows.`,
  );
  console.log(
    `p50/p99/max of up to ${READS.runs} runs after ${READS.warmup} warm-up runs each, through SqliteStore; PASS when the p99 is under the target:`,
  );
  console.log();
  console.log(readTable(report.results));
  return { generatedAt: data.generatedAt, report };
}

async function main(): Promise<void> {
  const only = new Set((process.env.BENCH_ONLY ?? '').split(',').filter(Boolean));
  const run = (section: string): boolean => only.size === 0 || only.has(section);
  machine();
  if (run('throughput')) {
    await throughputSection(
      envInt('BENCH_THROUGHPUT_TURNS', 20_000),
      envInt('BENCH_CONCURRENCY', 64),
      envInt('BENCH_ROUNDS', 2),
    );
  }
  if (run('contenders')) {
    await throughput(
      envInt('BENCH_THROUGHPUT_TURNS', 20_000),
      envInt('BENCH_CONCURRENCY', 64),
      envInt('BENCH_ROUNDS', 2),
      { turns: envInt('BENCH_PG_TURNS', 2_000), poolSize: envInt('BENCH_PG_POOL', 10) },
    );
  }
  const scaleTurns = envInt('BENCH_TURNS', 10_000_000);
  if (run('reads')) {
    await readsScaleSection(scaleTurns, { indexCostTurns: envInt('BENCH_INDEX_COST_TURNS', 20_000) });
  }
  if (run('reads-pg')) {
    // PostgreSQL beside SQLite on the same rows, at a size a load takes minutes for, not hours.
    const pgTurns = envInt('BENCH_PG_READ_TURNS', 1_000_000);
    await readsPg(pgTurns, READS, await reads(pgTurns));
  }
  if (run('triage')) await triageSection(envInt('BENCH_TRIAGE_TURNS', 1_000_000));
  if (run('channels')) await channelStatsSection(envInt('BENCH_CHANNEL_TURNS', 1_000_000));
  if (run('reads-under-load')) {
    await readsUnderLoad({ turns: envInt('BENCH_LOAD_TURNS', 1_000_000) });
  }
  if (run('renderer')) {
    await rendererBench(ensureReadDb(scaleTurns, (line) => console.log(line)).file);
  }
  if (run('contention')) {
    await contention(envInt('BENCH_CONTENTION_TURNS', 3_000));
  }
  if (run('backends')) {
    await backends({
      turns: envInt('BENCH_BACKEND_TURNS', 1_600),
      inflight: envInt('BENCH_BACKEND_INFLIGHT', 32),
      poolSize: envInt('BENCH_PG_POOL', 10),
      processes: [1, 2, 4],
    });
  }
  console.log();
}

// `npm test` runs every file under dist/test with node --test: do not run the benchmark there.
if (require.main === module && process.env.NODE_TEST_CONTEXT === undefined) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
