import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Backend } from '../../main/store/contract';
import { openStore } from '../../main/store/open';
import { SqliteStore } from '../../main/store/sqlite/store';
import { pgCluster } from '../helpers/pg-cluster';
import type { BackendChildOptions, BackendChildResult } from './backends-child';
import { runJsonChild } from './child-process';
import { total } from './contention';
import { pgBench, serverCpu } from './pg-server';
import { heading, int, ms, percentile, ratio, table } from './stats';

// The full turn through the store contract from several gateway PROCESSES at once, on one SQLite
// file and on one PostgreSQL database: how each backend scales with writers that do not share a
// connection (SQLite: one write lock for the file, group commit inside each process only;
// PostgreSQL: row locks, one transaction per call, commits flushed by the server).

export interface BackendsOptions {
  /** Turns measured per run, split evenly across its processes. */
  turns: number;
  /** Turns in flight in each process. */
  inflight: number;
  /** PostgreSQL: connections in each process's pool. */
  poolSize: number;
  processes: readonly number[];
}

const NAMES: Record<Backend, string> = { sqlite: 'SQLite', postgres: 'PostgreSQL' };

interface Run {
  backend: Backend;
  processes: number;
  children: BackendChildResult[];
  completed: number;
  wallMs: number;
  perSec: number;
  gatewayCpuMs: number;
  /** PostgreSQL's own processes during the run; undefined for SQLite (it runs inside the gateways). */
  serverCpuMs: number | undefined;
  latencies: number[];
  thrown: number;
  delivered: number;
  expected: number;
}

/** A new, empty store for one run, created and migrated here so that the gateways only open it. */
async function create(backend: Backend, name: string, dir: string): Promise<string> {
  const target =
    backend === 'sqlite'
      ? path.join(dir, `${name}.db`)
      : pgCluster().createDatabase(`bench_${name.replace(/\W/g, '_')}`);
  await (await openStore(target, { poolSize: 1 })).close();
  return target;
}

function sqliteSettings(dir: string): string {
  const store = SqliteStore.open(path.join(dir, 'settings.db'));
  const pragma = (p: string): unknown => store.lc.db.pragma(p, { simple: true });
  const version = (store.lc.db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
  const sync = pragma('synchronous') as number;
  const settings =
    `SQLite ${version}: journal_mode=${String(pragma('journal_mode'))}, ` +
    `synchronous=${['OFF', 'NORMAL', 'FULL', 'EXTRA'][sync] ?? sync}, busy_timeout=${String(pragma('busy_timeout'))}ms`;
  store.lc.close();
  return settings;
}

async function runOnce(backend: Backend, processes: number, o: BackendsOptions, dir: string): Promise<Run> {
  const name = `${backend}-${processes}p`;
  const target = await create(backend, name, dir);
  const server = backend === 'postgres' ? await serverCpu(target) : undefined;
  const baseline = server?.children() ?? 0;
  const per = Math.ceil(o.turns / processes);
  const warmup = Math.min(500, Math.ceil(per / 10));
  const goFile = path.join(dir, `${name}.go`);
  const readyFiles = Array.from({ length: processes }, (_, k) => path.join(dir, `${name}.ready-${k + 1}`));
  const script = path.join(__dirname, 'backends-child.js');
  const children = readyFiles.map((readyFile, k) => {
    const options: BackendChildOptions = {
      target,
      turns: per,
      inflight: o.inflight,
      warmup,
      poolSize: o.poolSize,
      run: `p${k + 1}`,
      readyFile,
      goFile,
    };
    return runJsonChild<BackendChildResult>(script, [JSON.stringify(options)], `${NAMES[backend]} gateway ${k + 1}`);
  });
  const settled = Promise.allSettled(children);
  let exited = false;
  void settled.then(() => (exited = true));
  // Every gateway warmed up before any is measured; one that failed on the way is reported below.
  while (!exited && !readyFiles.every((f) => fs.existsSync(f))) await sleep(5);
  const server0 = server?.cpuMs() ?? 0;
  fs.writeFileSync(goFile, '');
  const outcomes = await settled;
  const failed = outcomes.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  const results = outcomes.map((r) => (r as PromiseFulfilledResult<BackendChildResult>).value);
  // The gateways' backends exit with their pools; their CPU time counts once the postmaster reaped them.
  for (let waited = 0; server && server.children() > baseline && waited < 2_000; waited += 20) await sleep(20);
  const serverCpuMs = server ? server.cpuMs() - server0 : undefined;

  const check = await openStore(target);
  const delivered = (await check.status()).turns.delivered;
  await check.close();

  const completed = results.reduce((n, r) => n + r.completed, 0);
  const wallMs = Math.max(...results.map((r) => r.endedAt)) - Math.min(...results.map((r) => r.startedAt));
  return {
    backend,
    processes,
    children: results,
    completed,
    wallMs,
    perSec: (completed / wallMs) * 1000,
    gatewayCpuMs: results.reduce((n, r) => n + r.cpuMs, 0),
    serverCpuMs,
    latencies: results.flatMap((r) => r.latencies).sort((a, b) => a - b),
    thrown: results.reduce((n, r) => n + total(r.thrown), 0),
    delivered,
    expected: processes * (per + warmup),
  };
}

function fsType(dir: string): string {
  try {
    return execFileSync('stat', ['-f', '-c', '%T', dir], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

const perTurnUs = (cpuMs: number | undefined, r: Run): string =>
  cpuMs === undefined ? '-' : ((cpuMs * 1000) / r.completed).toFixed(0);

export async function backends(o: BackendsOptions): Promise<void> {
  heading('throughput across processes: SQLite vs PostgreSQL');
  const cores = os.cpus().length;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifecycle-desk-backends-'));
  console.log('accept → markRunning → enqueue final → beginSend → ack → finalize through the store contract, each');
  console.log(
    `step awaited; ${int(o.turns)} turns a run split across 1…${Math.max(...o.processes)} gateway processes, ${o.inflight} in flight in each;`,
  );
  console.log(
    `every process warms up, then all start together; a fresh SQLite file (${dir}, ${fsType(dir)}) or PostgreSQL`,
  );
  console.log(
    `database per run; PgStore pools ${o.poolSize} connections per process. CPU = user+sys of the processes.`,
  );
  console.log(`  ${sqliteSettings(dir)}`);
  const pg = await pgBench();
  console.log(pg.ok ? `  ${pg.settings}` : `PostgreSQL skipped: ${pg.reason}`);
  const backendsToRun: Backend[] = pg.ok ? ['sqlite', 'postgres'] : ['sqlite'];
  const runs: Run[] = [];
  try {
    for (const processes of o.processes) {
      for (const backend of backendsToRun) {
        const r = await runOnce(backend, processes, o, dir);
        runs.push(r);
        console.log(
          `  ${processes} × ${NAMES[backend]}: ${int(r.perSec)} turns/s (load average ${os.loadavg()[0]!.toFixed(2)})`,
        );
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(
    'Durability: SQLite WAL + synchronous=NORMAL survives a crash of any process, fsyncs at checkpoints (a power loss',
  );
  console.log(
    'can lose the last commits); PostgreSQL synchronous_commit=on + fsync=on flushes the WAL before each commit returns.',
  );

  const single = (b: Backend): Run | undefined => runs.find((r) => r.backend === b && r.processes === 1);
  console.log();
  console.log(
    table(
      [
        'processes',
        'backend',
        'turns/s',
        'vs 1 process',
        'per process',
        'p50',
        'p99',
        'gateway CPU µs/turn',
        'server CPU µs/turn',
        `CPU used of ${cores} cores`,
        'thrown',
        'check',
      ],
      runs.map((r) => [
        String(r.processes),
        NAMES[r.backend],
        int(r.perSec),
        ratio(r.perSec / single(r.backend)!.perSec),
        r.children.map((c) => int((c.completed / c.ms) * 1000)).join(' / '),
        ms(percentile(r.latencies, 50)),
        ms(percentile(r.latencies, 99)),
        perTurnUs(r.gatewayCpuMs, r),
        perTurnUs(r.serverCpuMs, r),
        `${(((r.gatewayCpuMs + (r.serverCpuMs ?? 0)) / (r.wallMs * cores)) * 100).toFixed(0)}%`,
        int(r.thrown),
        `${int(r.delivered)} of ${int(r.expected)} delivered`,
      ]),
    ),
  );
  const failures = runs.flatMap((r) =>
    r.children.flatMap((c, k) =>
      Object.entries(c.thrown.counts).map(
        ([key, n]) =>
          `  ${r.processes} × ${NAMES[r.backend]}, gateway ${k + 1}, ${key} × ${int(n)}: ${c.thrown.samples[key]}`,
      ),
    ),
  );
  if (failures.length > 0) console.log(['', 'thrown, by code (first message):', ...failures].join('\n'));
  if (!pg.ok) return;

  console.log();
  const at = (b: Backend, p: number): Run => runs.find((r) => r.backend === b && r.processes === p)!;
  const cpu = (r: Run): number => (r.gatewayCpuMs + (r.serverCpuMs ?? 0)) / r.completed;
  console.log(
    table(
      ['processes', 'SQLite turns/s', 'PostgreSQL turns/s', 'PostgreSQL / SQLite', 'CPU per turn, PG / SQLite'],
      o.processes.map((p) => {
        const [lite, postgres] = [at('sqlite', p), at('postgres', p)];
        return [
          String(p),
          int(lite.perSec),
          int(postgres.perSec),
          ratio(postgres.perSec / lite.perSec),
          postgres.serverCpuMs === undefined ? '-' : ratio(cpu(postgres) / cpu(lite)),
        ];
      }),
    ),
  );
  console.log('(CPU per turn: gateway processes, plus the PostgreSQL server for PostgreSQL; same run, same machine.)');
}
