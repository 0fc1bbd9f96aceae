import type Database from 'better-sqlite3';
import { asLocked } from './write';

interface Pending {
  fn: () => unknown;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * Gathers the writes of concurrent callers for a moment into one transaction and resolves
 * each caller only after that transaction commits: fewer commits, none of them weaker.
 * Each caller's work runs in its own savepoint, so one caller's error rolls back only its part.
 */
export class GroupCommit {
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  // Made once: better-sqlite3's db.transaction() builds four wrappers per call (several µs each).
  /** Runs one caller's work in a savepoint of the batch's transaction. */
  private readonly savepoint: Database.Transaction<(fn: () => unknown) => unknown>;
  /** Runs a whole batch in one transaction (BEGIN IMMEDIATE … COMMIT). */
  private readonly batchTx: Database.Transaction<(batch: Pending[], outcomes: Outcome[]) => void>;

  constructor(
    private readonly db: Database.Database,
    private readonly windowMs = 0,
    private readonly maxBatch = 512,
  ) {
    this.savepoint = db.transaction((fn: () => unknown) => fn());
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
    const outcomes: Outcome[] = [];
    try {
      this.batchTx.immediate(batch, outcomes);
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
