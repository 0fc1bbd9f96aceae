import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';

// The recovery worker shares the file with the gateway's processes, and shares its thread with
// the API engine's calls. A pass is many short write transactions; run back to back they keep
// the write lock taken almost all the time: another process waiting in SQLite's busy handler
// (which sleeps 1, 2, 5, 10… up to 100 ms between tries) rarely finds it free, and this
// thread's other messages wait for the pass. The pacer gives both their turn.

/** Rows one maintenance transaction touches at most (a few ms of work on a large file). */
export const BATCH_ROWS = 50;
/** Work (time in transactions) between two rests. */
const WORK_MS = 10;
/** The longest rest: the busy handler's longest sleep, after which a waiter has tried again. */
const MAX_REST_MS = 100;

export class Pacer {
  /** Time spent in transactions since the last rest. */
  private owed = 0;

  /** Runs one transaction (sync) and counts its time. */
  run<T>(fn: () => T): T {
    const t0 = performance.now();
    try {
      return fn();
    } finally {
      this.owed += performance.now() - t0;
    }
  }

  /**
   * Between two transactions: lets this thread's queued messages run, and after WORK_MS of
   * transactions rests as long as they took, so that a process that began waiting for the lock
   * meanwhile (its busy handler sleeping no longer than that) gets it before the next one.
   */
  async pause(): Promise<void> {
    if (this.owed < WORK_MS) {
      await nextTurn();
      return;
    }
    const rest = Math.min(this.owed, MAX_REST_MS);
    this.owed = 0;
    await sleep(rest);
  }

  /**
   * Runs `step` (one transaction over at most `size` items, returning how many it handled)
   * until it handles fewer than `size` or `max` items are done, pausing between transactions.
   */
  async batches(max: number, size: number, step: (limit: number) => number): Promise<number> {
    let done = 0;
    while (done < max) {
      const limit = Math.min(size, max - done);
      const n = this.run(() => step(limit));
      done += n;
      if (n < limit) break;
      await this.pause();
    }
    return done;
  }
}
