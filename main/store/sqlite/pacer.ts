import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import type Database from 'better-sqlite3';
import { isBusyError } from '../../lifecycle/errors';

// The recovery worker shares the file with the gateway's processes, and shares its thread with
// the API engine's calls. A pass is many short write transactions; run back to back they keep
// the write lock taken almost all the time: another process waiting in SQLite's busy handler
// (which sleeps 1, 2, 5, 10… up to 100 ms between tries) rarely finds it free, and this
// thread's other messages wait for the pass. The pacer gives both their turn. And where a
// step must wait for the lock another process holds, it waits here, between tries, instead of
// in SQLite's busy handler, which sleeps inside the call and so stops the whole thread.

/** Rows one maintenance transaction touches at most (a few ms of work on a large file). */
export const BATCH_ROWS = 50;
/** Work (time in transactions) between two rests. */
const WORK_MS = 10;
/** The longest rest: the busy handler's longest sleep, after which a waiter has tried again. */
const MAX_REST_MS = 100;
/** The longest wait between two tries for the write lock (they start at 1 ms, then double). */
const MAX_TRY_MS = 16;

function isLocked(err: unknown): boolean {
  return (err as { code?: unknown }).code === 'locked' || isBusyError(err);
}

export class Pacer {
  /** Time spent in transactions since the last rest. */
  private owed = 0;

  constructor(
    private readonly db: Database.Database,
    /** How long a step may wait for the write lock in all (the connection's busy_timeout). */
    private readonly busyTimeoutMs: number,
  ) {}

  /**
   * Runs `fn`, one write transaction (or none), and counts its time. While another connection
   * holds the write lock it is tried again every few ms, for busy_timeout at most, then fails
   * `locked` as it would have. A try that fails changed nothing (its transaction did not
   * begin), so trying again is safe.
   */
  async run<T>(fn: () => T): Promise<T> {
    // The sleeps asked for, not the time passed: other work of this thread between two tries
    // (e.g. a long read) must not use up the step's patience.
    let waited = 0;
    for (let wait = 1; ; wait = Math.min(2 * wait, MAX_TRY_MS)) {
      try {
        return this.once(fn);
      } catch (err) {
        if (!isLocked(err) || waited >= this.busyTimeoutMs) throw err;
        const ms = wait * (0.5 + Math.random()); // jittered, so tries do not fall in step with the holder's commits
        waited += ms;
        await sleep(ms);
      }
    }
  }

  /** One try, with a busy timeout of 0 (the thread never sleeps in SQLite), restored after it. */
  private once<T>(fn: () => T): T {
    const t0 = performance.now();
    this.db.pragma('busy_timeout = 0');
    try {
      return fn();
    } finally {
      this.db.pragma(`busy_timeout = ${this.busyTimeoutMs}`);
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
      const n = await this.run(() => step(limit));
      done += n;
      if (n < limit) break;
      await this.pause();
    }
    return done;
  }
}
