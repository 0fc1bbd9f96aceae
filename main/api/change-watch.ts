import type { ApiEvent } from '../../shared/api';
import type { StatusCounts } from '../../shared/types';
import type { PassReport } from '../recovery/passes';
import type { LifecycleStore } from '../store/contract';

// What tells the views to refetch: counts that moved, this process's own writes, and commits by
// another writer that changed lifecycle data (the store reports commits: SQLite PRAGMA
// data_version, polled; PostgreSQL LISTEN/NOTIFY; its change stamp says whether data moved).

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
  /** The store's change stamp as last seen; null until read (or after our own write). */
  private lastStamp: string | null = null;
  /** Another writer committed since the last check: read the stamp and tell the views if it moved. */
  private external = false;
  /** This process wrote (and already said `changed`): the stamp is read again, silently. */
  private ownWrite = false;
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
    // A commit by another writer is often no news to the views (its worker's heartbeat, an
    // UPDATE that matched nothing): the stamp decides, so an idle file costs no refetch.
    this.unwatch = store.watch(() => {
      this.lastExternalWriteAt = Date.now();
      this.onExternalWrite?.(this.lastExternalWriteAt);
      this.external = true;
      this.check();
    });
  }

  /** This process changed rows (an operator action, a recovery pass, a job): the views refetch now. */
  changed(): void {
    this.ownWrite = true;
    this.tell();
  }

  private tell(): void {
    this.emit({ type: 'changed', at: Date.now() });
  }

  /**
   * Sends `counts` when they differ from the last sent, and `changed` when they moved or when
   * another writer's commit moved the change stamp.
   */
  check(): void {
    if (this.checking) {
      this.again = true; // one more check once this one is done, never two at once
      return;
    }
    this.checking = true;
    const external = this.external;
    const readStamp = external || this.ownWrite || this.lastStamp === null;
    this.external = false;
    this.ownWrite = false;
    void Promise.all([this.store.status(), readStamp ? this.store.changeStamp() : null])
      .then(([counts, stamp]) => {
        const key = countsKey(counts);
        let moved = false;
        if (key !== this.lastCounts) {
          moved = this.lastCounts !== '';
          this.lastCounts = key;
          this.emit({ type: 'counts', counts });
        }
        if (stamp !== null) {
          if (external && this.lastStamp !== null && stamp !== this.lastStamp) moved = true;
          this.lastStamp = stamp;
        }
        // Counts moved (the demo feed, a gateway in this process, time making turns stuck), or
        // another writer changed rows.
        if (moved) this.tell();
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
