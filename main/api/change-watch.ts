import type { ApiEvent } from '../../shared/api';
import type { StatusCounts } from '../../shared/types';
import type { PassReport } from '../recovery/passes';
import type { LifecycleStore } from '../store/contract';

// What tells the views to refetch: counts that moved, and commits by another writer, which the
// store reports (SQLite: PRAGMA data_version, polled; PostgreSQL: LISTEN/NOTIFY).

/** True when a recovery pass changed anything (any counter above zero). */
export function passChanged(report: PassReport): boolean {
  const anyPositive = (o: object): boolean =>
    Object.values(o).some((v) =>
      typeof v === 'number' ? v > 0 : v !== null && typeof v === 'object' && anyPositive(v),
    );
  return anyPositive(report);
}

/** Counts without their timestamp, for "did anything change" comparisons. */
function countsKey(c: StatusCounts): string {
  return JSON.stringify([
    c.turns,
    c.outbox,
    c.otherTurns,
    c.otherOutbox,
    c.stuckTurns,
    c.stuckOutbox,
    c.deadTurns,
    c.deadOutbox,
  ]);
}

export class ChangeWatch {
  private lastCounts = '';
  private checking = false;
  private again = false;
  private readonly unwatch: () => void;
  /** When another writer last committed, as far as this process saw. */
  lastExternalWriteAt: number | null = null;

  constructor(
    private readonly store: LifecycleStore,
    private readonly emit: (event: ApiEvent) => void,
    /** Told of each commit by another writer (the reader thread answers getLiveness with it). */
    private readonly onExternalWrite?: (at: number) => void,
  ) {
    this.unwatch = store.watch(() => {
      this.lastExternalWriteAt = Date.now();
      this.onExternalWrite?.(this.lastExternalWriteAt);
      this.changed();
      this.check();
    });
  }

  changed(): void {
    this.emit({ type: 'changed', at: Date.now() });
  }

  /** Sends `counts` when they differ from the last sent (and `changed` when they moved). */
  check(): void {
    if (this.checking) {
      this.again = true; // one more check once this one is done, never two at once
      return;
    }
    this.checking = true;
    void this.store
      .status()
      .then((counts) => {
        const key = countsKey(counts);
        if (key !== this.lastCounts) {
          const first = this.lastCounts === '';
          this.lastCounts = key;
          this.emit({ type: 'counts', counts });
          if (!first) this.changed(); // counts moved: some rows did (demo feed, gateway in this file)
        }
      })
      .catch((err: unknown) => console.error(`[lifecycle-desk] status check failed: ${(err as Error).message}`))
      .finally(() => {
        this.checking = false;
        if (this.again) {
          this.again = false;
          this.check();
        }
      });
  }

  stop(): void {
    this.unwatch();
  }
}
