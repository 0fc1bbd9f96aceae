import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { SqliteStore } from '../../main/store/sqlite/store';
import { percentile } from './stats';
import { fullTurn } from './throughput-shared';

// The gateway of the reads-under-load run (reads-under-load.ts), a process of its own:
// `node reads-under-load-child.js <options JSON>`. It runs full turns through the core (group
// commit, as a gateway does) at a fixed rate until the stop file exists, then prints one JSON
// line: how many turns it ran, how long each took, what threw.

export interface WriterOptions {
  db: string;
  /** Turns started per second, on a fixed schedule (a late turn starts at once, never skipped). */
  rate: number;
  stopFile: string;
  /** Never more turns in flight than this: past it the schedule slips (and the rate drops). */
  maxInFlight: number;
}

export interface WriterResult {
  turns: number;
  /** Turns per second over the run. */
  rate: number;
  ms: number;
  /** Time of one full turn (accept … finalize: six commits, each waiting for the write lock). */
  turnMs: { p50: number; p99: number; max: number };
  errors: Record<string, number>;
}

async function main(options: WriterOptions): Promise<void> {
  const store = SqliteStore.open(options.db, { optimizeOnClose: false });
  const turn = fullTurn(store, `load${process.pid}`);
  const times: number[] = [];
  const errors: Record<string, number> = {};
  let inFlight = 0;
  let started = 0;
  const t0 = performance.now();
  const running = new Set<Promise<void>>();
  const stopped = (): boolean => fs.existsSync(options.stopFile);
  let nextCheck = 0;
  for (;;) {
    const now = performance.now();
    if (now >= nextCheck) {
      if (stopped()) break;
      nextCheck = now + 100;
    }
    const due = Math.floor(((now - t0) / 1000) * options.rate);
    while (started < due && inFlight < options.maxInFlight) {
      const i = started++;
      inFlight++;
      const s = performance.now();
      const p = turn(i)
        .then(
          () => void times.push(performance.now() - s),
          (err: unknown) => {
            const code = String((err as { code?: unknown }).code ?? (err as Error).message);
            errors[code] = (errors[code] ?? 0) + 1;
          },
        )
        .finally(() => {
          inFlight--;
          running.delete(p);
        });
      running.add(p);
    }
    await sleep(2);
  }
  await Promise.all(running);
  const ms = performance.now() - t0;
  await store.close();
  times.sort((a, b) => a - b);
  const result: WriterResult = {
    turns: times.length,
    rate: (times.length / ms) * 1000,
    ms,
    turnMs: { p50: percentile(times, 50), p99: percentile(times, 99), max: times.at(-1) ?? NaN },
    errors,
  };
  console.log(JSON.stringify(result));
}

if (require.main === module) {
  main(JSON.parse(process.argv[2] ?? '{}') as WriterOptions).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
