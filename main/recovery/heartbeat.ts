// A recovery worker says in the database that it is alive (SPEC "Who writes the file"), so the
// dashboard of any process can tell whether requested replays and retries will happen. Each
// store writes it (lifecycle_workers) in its own SQL.

/** Heartbeats older than this are removed by the worker that writes its own. */
export const FORGET_AFTER_MS = 7 * 86_400_000;

export interface Beat {
  /** The handlers it has: without them it expires and finalizes, but sends and replays nothing. */
  handlers: readonly ('deliver' | 'replay')[];
  lastPassAt: number | null;
  /** When the next pass is due; null when the worker runs no more passes on its own. */
  nextPassAt: number | null;
}
