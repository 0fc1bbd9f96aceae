import type Database from 'better-sqlite3';
import { asLocked, type Writer } from './write';

interface Pending {
  fn: () => unknown;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Thrown inside the fast batch to roll it back when one of its callers failed. */
const ONE_FAILED = Symbol('a caller of the batch failed');

/**
 * Gathers the writes of concurrent callers for a moment into one transaction and resolves
 * each caller only after that transaction commits: fewer commits, none of them weaker.
 * One caller's error rolls back only its own part. A savepoint per caller would give that at the
 * price of copying every page each caller touches, on every batch; instead a batch first runs
 * without savepoints and, only if one of its callers throws, is rolled back whole and run again
 * with a savepoint per caller. A caller's `fn` may therefore run twice: it must only write
 * through the core (its JS effects are the core's own bookkeeping, which a second run redoes).
 */
export class GroupCommit {
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  // Made once: better-sqlite3's db.transaction() builds four wrappers per call (several µs each).
  /** Runs one caller's work in a savepoint of the batch's transaction. */
  private readonly savepoint: Database.Transaction<(fn: () => unknown) => unknown>;
  /** Runs a whole batch in one transaction, no savepoints; throws ONE_FAILED if a caller failed. */
  private readonly fastTx: Database.Transaction<(batch: Pending[], outcomes: Outcome[]) => void>;
  /** Runs a whole batch in one transaction (BEGIN IMMEDIATE … COMMIT), a savepoint per caller. */
  private readonly batchTx: Database.Transaction<(batch: Pending[], outcomes: Outcome[]) => void>;
  /** Batches that were run again one savepoint per caller (a caller failed). */
  retried = 0;

  constructor(
    private readonly db: Database.Database,
    private readonly write: Writer,
    private readonly windowMs = 0,
    private readonly maxBatch = 512,
  ) {
    this.savepoint = db.transaction((fn: () => unknown) => fn());
    const runAll = (batch: Pending[], outcomes: Outcome[]): void => {
      for (const p of batch) outcomes.push({ ok: true, value: p.fn() });
    };
    this.fastTx = db.transaction((batch: Pending[], outcomes: Outcome[]) => {
      try {
        write.within(() => runAll(batch, outcomes));
      } catch {
        throw ONE_FAILED;
      }
    });
    this.batchTx = db.transaction((batch: Pending[], outcomes: Outcome[]) => {
      for (const p of batch) {
        try {
          outcomes.push({ ok: true, value: this.savepoint(p.fn) });
        } catch (error) {
          outcomes.push({ ok: false, error });
        }
      }
    });
  }

  run<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (this.queue.length >= this.maxBatch) this.flush();
      else
        this.timer ??=
          this.windowMs > 0 ? setTimeout(() => this.flush(), this.windowMs) : setImmediate(() => this.flush());
    });
  }

  /** Commits whatever is queued now. */
  flush(): void {
    clearTimeout(this.timer as NodeJS.Timeout);
    clearImmediate(this.timer as NodeJS.Immediate);
    this.timer = undefined;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    let outcomes: Outcome[] = [];
    try {
      try {
        this.fastTx.immediate(batch, outcomes);
      } catch (error) {
        if (error !== ONE_FAILED) throw error;
        // Rolled back whole: nothing of this batch was written. Again, each caller on its own.
        this.retried++;
        outcomes = [];
        this.batchTx.immediate(batch, outcomes);
      }
    } catch (error) {
      // The commit itself failed: nobody's write is durable, so everybody hears about it.
      const reported = asLocked(error, () => this.db.name);
      for (const p of batch) p.reject(reported);
      return;
    }
    batch.forEach((p, i) => {
      const o = outcomes[i]!;
      if (o.ok) p.resolve(o.value);
      else p.reject(o.error);
    });
  }
}
