import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { SERIES_WINDOWS, type ApiArgs, type ApiMethod, type ApiResults } from '../../shared/api';
import { ApiHost } from '../../main/api/host';
import type { LifecycleStore } from '../../main/store/contract';
import { runJsonChild } from './child-process';
import { ensureReadDb } from './generate';
import { readCalls, type ReadCall } from './reads';
import type { WriterOptions, WriterResult } from './reads-under-load-child';
import { envInt, heading, int, ms, percentile, table } from './stats';

// "Reads never wait for writes": the dashboard's reads through ApiHost, the way the app makes
// them, on a copy of the large generated file, while the API runs the recovery worker (the
// 'recovering' role) and a separate gateway process writes full turns at a fixed rate. Each
// call's p50/p99/max under that load beside its target (p99 < 50 ms) and beside the same call
// with no load at all (so a slow query is told apart from a wait behind a write or a pass); the
// write rate reached and the gateway's turn times; the worker's pass durations. Then the same
// run with every call on the engine's one connection (readers: 0), as before.
//
//   BENCH_TURNS          which cached file (default 1,000,000: lifecycle-desk-bench-1m.db)
//   BENCH_LOAD_MS        how long each loaded run issues reads (default 60,000)
//   BENCH_LOAD_RATE      the gateway's turns per second (default 500)
//   BENCH_LOAD_BASELINE  0: skip the run with the reads on the engine thread

export const TARGET_P99_MS = 50;
/**
 * A call this slow with no load at all is slow by itself (its query, not a wait): it is timed
 * with no load only, since repeating it would fill the loaded run and occupy a reader throughout.
 */
const SLOW_ALONE_MS = 1_000;

export interface LoadOptions {
  turns: number;
  durationMs: number;
  rate: number;
  baseline: boolean;
}

interface CallStats {
  label: string;
  runs: number;
  p50: number;
  p99: number;
  max: number;
}

interface LoadedRun {
  mode: 'reader thread' | 'engine thread';
  calls: Map<string, CallStats>;
  writer: WriterResult;
  /** Each pass of the worker, ms, from its heartbeats (see passSampler). */
  passes: number[];
  /** The machine's 1-minute load average at the end of the run (other work on it shows here). */
  load: number;
}

export interface ReadsUnderLoadReport {
  unloaded: Map<string, CallStats>;
  runs: LoadedRun[];
}

/** The store methods readCalls uses, answered through the API host as the dashboard calls it. */
function viaApi(host: ApiHost): LifecycleStore {
  const call = async <M extends ApiMethod>(method: M, args: ApiArgs<M>): Promise<ApiResults[M]> => {
    const r = await host.call(method, args);
    if (!r.ok) throw new Error(`${method}: ${r.error.code}: ${r.error.message}`);
    return r.value;
  };
  const windows = Object.entries(SERIES_WINDOWS) as [keyof typeof SERIES_WINDOWS, number][];
  const api: Pick<
    LifecycleStore,
    'status' | 'series' | 'listTurns' | 'listOutbox' | 'turnDetail' | 'liveness' | 'previewAbort' | 'auditTrail'
  > = {
    status: () => call('getStatus', {}),
    series: (windowMs) => call('getSeries', { window: windows.find(([, w]) => w === windowMs)![0] }),
    listTurns: (f) => call('listTurns', f ?? {}),
    listOutbox: (f) => call('listOutbox', f ?? {}),
    turnDetail: (id) => call('getTurn', { id }),
    liveness: () => call('getLiveness', {}),
    previewAbort: (sessionKeys) => call('previewAbort', { sessionKeys: [...sessionKeys] }),
    auditTrail: (filter) => call('getAudit', filter ?? {}),
  };
  return api as LifecycleStore;
}

function stats(label: string, times: number[]): CallStats {
  times.sort((a, b) => a - b);
  return { label, runs: times.length, p50: percentile(times, 50), p99: percentile(times, 99), max: times.at(-1)! };
}

/** Every call in turn, one at a time, for `durationMs` (at least `minRounds` rounds). */
async function issue(
  calls: readonly ReadCall[],
  durationMs: number,
  minRounds: number,
): Promise<Map<string, CallStats>> {
  const times = new Map<string, number[]>(calls.map((c) => [c.label, []]));
  const end = performance.now() + durationMs;
  for (let round = 0; round < minRounds || performance.now() < end; round++) {
    for (const c of calls) {
      const t0 = performance.now();
      await c.run();
      times.get(c.label)!.push(performance.now() - t0);
    }
  }
  return new Map(calls.map((c) => [c.label, stats(c.label, times.get(c.label)!)]));
}

/**
 * The app checks the file's integrity when it opens it (a thread reading every page): on a
 * large file that is a while of one core, so the measurements start once it is done.
 */
async function integrityDone(host: ApiHost, log: (line: string) => void): Promise<void> {
  const t0 = performance.now();
  while (host.info.integrity.state === 'checking' && performance.now() - t0 < 300_000) await sleep(200);
  log(`  integrity check: ${host.info.integrity.state} after ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

/** A private copy of the cached file (never written in place), in a folder removed afterwards. */
function copyOf(file: string): { copy: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifecycle-desk-reads-under-load-'));
  const copy = path.join(dir, path.basename(file));
  fs.copyFileSync(file, copy);
  if (fs.existsSync(`${file}-wal`) && fs.statSync(`${file}-wal`).size > 0)
    fs.copyFileSync(`${file}-wal`, `${copy}-wal`);
  return { copy, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/**
 * The worker's passes, from its heartbeat (lifecycle_workers, sampled every 50 ms on a
 * connection of this process): a pass ends with a beat whose last_pass_at is its end, and the
 * next is scheduled one tick later, so a pass lasted from the previous end + tick to its own end.
 */
function passSampler(file: string): { stop: () => number[] } {
  const db = new Database(file, { readonly: true });
  const ends: { last: number; next: number }[] = [];
  const timer = setInterval(() => {
    const r = db
      .prepare(
        'SELECT last_pass_at AS last, next_pass_at AS next FROM lifecycle_workers WHERE stopped_at IS NULL ORDER BY seen_at DESC LIMIT 1',
      )
      .get() as { last: number | null; next: number | null } | undefined;
    if (r?.last != null && r.next != null && ends.at(-1)?.last !== r.last) ends.push({ last: r.last, next: r.next });
  }, 50);
  return {
    stop: () => {
      clearInterval(timer);
      db.close();
      const durations: number[] = [];
      for (let i = 1; i < ends.length; i++) durations.push(ends[i]!.last - ends[i - 1]!.next);
      return durations;
    },
  };
}

async function loadedRun(
  file: string,
  readerThread: boolean,
  options: LoadOptions,
  skip: ReadonlySet<string>,
  log: (line: string) => void,
): Promise<LoadedRun> {
  const { copy, remove } = copyOf(file);
  try {
    const host = await ApiHost.start({
      dbPath: copy,
      recover: true,
      ...(readerThread ? {} : { readers: 0 }),
      operator: 'desk:bench',
    });
    const stopFile = path.join(path.dirname(copy), 'stop');
    let writer: Promise<WriterResult> | undefined;
    let passes: number[] = [];
    try {
      await integrityDone(host, log);
      const calls = (await readCalls(viaApi(host))).filter((c) => !skip.has(c.label));
      const sampler = passSampler(copy);
      const child: WriterOptions = { db: copy, rate: options.rate, stopFile, maxInFlight: 256 };
      writer = runJsonChild<WriterResult>(
        path.join(__dirname, 'reads-under-load-child.js'),
        [JSON.stringify(child)],
        'gateway',
      );
      await sleep(1_000); // the gateway process is up and writing
      log(`  ${readerThread ? 'reader thread' : 'engine thread'}: reads for ${options.durationMs / 1000} s…`);
      const result = await issue(calls, options.durationMs, 3);
      fs.writeFileSync(stopFile, '');
      const written = await writer;
      passes = sampler.stop();
      const load = os.loadavg()[0]!;
      return { mode: readerThread ? 'reader thread' : 'engine thread', calls: result, writer: written, passes, load };
    } finally {
      fs.writeFileSync(stopFile, '');
      await writer?.catch(() => undefined);
      await host.close();
    }
  } finally {
    remove();
  }
}

/** The same calls with nothing else running: what each query costs by itself. */
async function unloadedRun(file: string, log: (line: string) => void): Promise<Map<string, CallStats>> {
  const host = await ApiHost.start({ dbPath: file, readOnly: true, operator: 'desk:bench' });
  try {
    await integrityDone(host, log);
    const calls = await readCalls(viaApi(host));
    log(`  no load: ${calls.length} calls, 5 rounds…`);
    await issue(calls, 0, 1); // warm the cache, as the loaded runs are after readCalls
    return await issue(calls, 0, 5);
  } finally {
    await host.close();
  }
}

export async function readsUnderLoad(
  options: Partial<LoadOptions> = {},
  log: (line: string) => void = (line) => console.log(line),
): Promise<ReadsUnderLoadReport> {
  const o: LoadOptions = {
    turns: options.turns ?? envInt('BENCH_TURNS', 1_000_000),
    durationMs: options.durationMs ?? envInt('BENCH_LOAD_MS', 60_000),
    rate: options.rate ?? envInt('BENCH_LOAD_RATE', 500),
    baseline: options.baseline ?? envInt('BENCH_LOAD_BASELINE', 1, { zero: true }) !== 0,
  };
  heading(`reads under load: ${int(o.turns)} turns, recovery worker + a gateway at ${o.rate} turns/s`);
  const data = ensureReadDb(o.turns, log);
  // The unloaded figures come from the cached file itself, opened read-only (nothing written).
  const unloaded = await unloadedRun(data.file, log);
  const skip = new Set([...unloaded.values()].filter((c) => c.p50 >= SLOW_ALONE_MS).map((c) => c.label));
  const runs = [await loadedRun(data.file, true, o, skip, log)];
  if (o.baseline) runs.push(await loadedRun(data.file, false, o, skip, log));
  const report = { unloaded, runs };
  printReport(report);
  return report;
}

function verdict(loaded: CallStats | undefined, alone: CallStats | undefined): string {
  if (!loaded) return alone ? `MISS: the query itself is slow (${ms(alone.p50)} alone; not repeated)` : '-';
  if (loaded.p99 < TARGET_P99_MS) return 'PASS';
  if (alone && alone.p50 >= TARGET_P99_MS) return 'MISS: the query itself is slow';
  return 'MISS: under load only';
}

export function printReport({ unloaded, runs }: ReadsUnderLoadReport): void {
  const [main, base] = runs;
  if (!main) return;
  const header = ['call', 'no load p50', 'p50', 'p99', 'max', 'runs', 'target', ''];
  if (base) header.push('engine-thread p99', 'engine-thread max', '');
  console.log(
    table(
      header,
      [...unloaded.values()].map((alone) => {
        const c = main.calls.get(alone.label);
        const b = base?.calls.get(alone.label);
        const cells = [
          alone.label,
          ms(alone.p50),
          c ? ms(c.p50) : '-',
          c ? ms(c.p99) : '-',
          c ? ms(c.max) : '-',
          c ? String(c.runs) : '-',
          `< ${TARGET_P99_MS} ms`,
          verdict(c, alone),
        ];
        if (base) cells.push(b ? ms(b.p99) : '-', b ? ms(b.max) : '-', b ? verdict(b, alone).split(' (')[0]! : '');
        return cells;
      }),
    ),
  );
  const verdicts = [...unloaded.values()].map((alone) => verdict(main.calls.get(alone.label), alone));
  const count = (what: string): number => verdicts.filter((v) => v.startsWith(what)).length;
  console.log(
    `\n  reader threads: ${count('PASS')} of ${verdicts.length} calls under target; ` +
      `${count('MISS: the query itself')} over it because the query itself is slow (over it with no load too); ` +
      `${count('MISS: under load')} over it under load only.`,
  );
  console.log(
    '  A reader never waits for a write lock (WAL): under load it waits for CPU (the gateway process, the worker,\n' +
      '  the readers and this process share the cores, beside whatever else runs on the machine) and reads a longer WAL.',
  );
  console.log(
    table(
      [
        'run',
        'gateway turns/s',
        'target',
        'turn p50',
        'turn p99',
        'turn max',
        'errors',
        'passes',
        'pass p50',
        'pass max',
        'load avg',
      ],
      runs.map((r) => {
        const p = [...r.passes].sort((a, b) => a - b);
        return [
          r.mode,
          r.writer.rate.toFixed(0),
          '500',
          ms(r.writer.turnMs.p50),
          ms(r.writer.turnMs.p99),
          ms(r.writer.turnMs.max),
          Object.entries(r.writer.errors)
            .map(([k, v]) => `${k}: ${v}`)
            .join(', ') || '0',
          String(p.length),
          ms(percentile(p, 50)),
          ms(p.at(-1) ?? NaN),
          `${r.load.toFixed(1)} on ${os.cpus().length} cores`,
        ];
      }),
    ),
  );
}

if (require.main === module) {
  readsUnderLoad().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
