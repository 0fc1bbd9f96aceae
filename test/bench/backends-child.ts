import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { openStore } from '../../main/store/open';
import { thrown, type Thrown } from './contention-child';
import { drive, fullTurn } from './throughput-shared';

// One gateway process of the backends run (backends.ts): `node backends-child.js <options JSON>`.
// Opens the store (a SQLite file or a PostgreSQL URL), warms up, says it is ready, waits for the
// start signal, runs its turns, and prints one JSON line on stdout.

export interface BackendChildOptions {
  /** A SQLite file path or a postgres:// URL (created and migrated by the parent). */
  target: string;
  /** Turns to measure, and turns in flight at once. */
  turns: number;
  inflight: number;
  /** Unmeasured turns first (JIT, the pool's connections). */
  warmup: number;
  /** PostgreSQL: connections in this process's pool. */
  poolSize: number;
  /** Distinguishes this process's messages (dedupe keys) from its siblings'. */
  run: string;
  /** Created once warmed up; the measured run starts once `goFile` exists. */
  readyFile: string;
  goFile: string;
}

export interface BackendChildResult {
  pid: number;
  /** Turns whose every step resolved. */
  completed: number;
  ms: number;
  /** CPU (user + system) of this process during the measured run. */
  cpuMs: number;
  /** Wall-clock bounds of the measured run (ms since the epoch, sub-ms precision). */
  startedAt: number;
  endedAt: number;
  /** Per-turn latency (ms) of every completed turn, accept called → finalize resolved. */
  latencies: number[];
  thrown: Thrown;
}

async function main(o: BackendChildOptions): Promise<BackendChildResult> {
  const store = await openStore(o.target, { poolSize: o.poolSize });
  const errors = thrown();
  const latencies: number[] = [];
  try {
    await drive(o.warmup, o.inflight, fullTurn(store, `${o.run}-warmup`));
    fs.writeFileSync(o.readyFile, '');
    while (!fs.existsSync(o.goFile)) await sleep(2);
    const turn = fullTurn(store, o.run);
    const startedAt = performance.timeOrigin + performance.now();
    const { ms, cpuMs } = await drive(o.turns, o.inflight, async (i) => {
      const t0 = performance.now();
      try {
        await turn(i);
        latencies.push(Math.round((performance.now() - t0) * 1000) / 1000);
      } catch (err) {
        errors.add('turn', err);
      }
    });
    const { counts, samples } = errors;
    return {
      pid: process.pid,
      completed: latencies.length,
      ms,
      cpuMs,
      startedAt,
      endedAt: startedAt + ms,
      latencies,
      thrown: { counts, samples },
    };
  } finally {
    await store.close();
  }
}

if (require.main === module) {
  main(JSON.parse(process.argv[2] ?? '{}') as BackendChildOptions)
    .then((result) => process.stdout.write(`${JSON.stringify(result)}\n`))
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
}
