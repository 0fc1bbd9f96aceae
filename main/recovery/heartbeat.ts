import os from 'node:os';

// A recovery worker says in the database that it is alive (SPEC "Who writes the file"), so the
// dashboard of any process can tell whether requested replays and retries will happen. Each
// store writes it (lifecycle_workers) with the statements below.

/** Heartbeats older than this are removed by the worker that writes its own. */
export const FORGET_AFTER_MS = 7 * 86_400_000;

export interface Beat {
  /** The handlers it has: without them it expires and finalizes, but sends and replays nothing. */
  handlers: readonly ('deliver' | 'replay')[];
  lastPassAt: number | null;
  /** When the next pass is due; null when the worker runs no more passes on its own. */
  nextPassAt: number | null;
}

/** The heartbeat's upsert (`?` placeholders, bound by beatArgs), the same on both backends. */
export const BEAT_UPSERT_SQL = `INSERT INTO lifecycle_workers (owner, host, pid, started_at, last_pass_at, next_pass_at, stopped_at, seen_at, handlers)
  VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?)
  ON CONFLICT (owner) DO UPDATE SET last_pass_at = excluded.last_pass_at, next_pass_at = excluded.next_pass_at,
    stopped_at = NULL, seen_at = excluded.seen_at, handlers = excluded.handlers`;

export function beatArgs(owner: string, startedAt: number, beat: Beat, now: number): unknown[] {
  return [owner, os.hostname(), process.pid, startedAt, beat.lastPassAt, beat.nextPassAt, now, beat.handlers.join(',')];
}
