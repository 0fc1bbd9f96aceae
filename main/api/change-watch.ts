import type { ApiEvent } from '../../shared/api';
import type { StatusCounts } from '../../shared/types';
import type { Lifecycle } from '../lifecycle/lifecycle';
import type { PassReport } from '../recovery/passes';

// What tells the views to refetch: counts that moved, and commits by another connection to the
// file (PRAGMA data_version), checked on a timer since SQLite has no change notification across
// processes.

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
  return JSON.stringify([c.turns, c.outbox, c.otherTurns, c.otherOutbox, c.stuckTurns, c.stuckOutbox]);
}

export class ChangeWatch {
  private lastCounts = '';
  private lastDataVersion: number | undefined;
  /** When another connection last committed to the file, as far as this one saw. */
  lastExternalWriteAt: number | null = null;

  constructor(
    private readonly lc: Lifecycle,
    private readonly emit: (event: ApiEvent) => void,
  ) {}

  changed(): void {
    this.emit({ type: 'changed', at: Date.now() });
  }

  /** Sends `counts` when they differ from the last sent; `changed` when another connection wrote. */
  check(): void {
    try {
      const version = this.lc.db.pragma('data_version', { simple: true }) as number;
      const counts = this.lc.status();
      const key = countsKey(counts);
      const external = this.lastDataVersion !== undefined && version !== this.lastDataVersion;
      this.lastDataVersion = version;
      if (external) this.lastExternalWriteAt = this.lc.core.now();
      if (key !== this.lastCounts) {
        const first = this.lastCounts === '';
        this.lastCounts = key;
        this.emit({ type: 'counts', counts });
        if (!first && !external) this.changed(); // counts moved: some rows did (demo feed, gateway in this file)
      }
      if (external) this.changed();
    } catch (err) {
      console.error(`[lifecycle-desk] status check failed: ${(err as Error).message}`);
    }
  }
}
