import os from 'node:os';
import type { Core } from '../../lifecycle/context';
import { FORGET_AFTER_MS, type Beat } from '../../recovery/heartbeat';

export function recordBeat(core: Core, startedAt: number, beat: Beat): void {
  core.write(() => {
    const now = core.now();
    core
      .stmt(
        `INSERT INTO lifecycle_workers (owner, host, pid, started_at, last_pass_at, next_pass_at, stopped_at, seen_at, handlers)
         VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?)
         ON CONFLICT (owner) DO UPDATE SET last_pass_at = excluded.last_pass_at, next_pass_at = excluded.next_pass_at,
           stopped_at = NULL, seen_at = excluded.seen_at, handlers = excluded.handlers`,
      )
      .run(
        core.owner,
        os.hostname(),
        process.pid,
        startedAt,
        beat.lastPassAt,
        beat.nextPassAt,
        now,
        beat.handlers.join(','),
      );
    core.stmt('DELETE FROM lifecycle_workers INDEXED BY ix_workers_seen WHERE seen_at < ?').run(now - FORGET_AFTER_MS);
  });
}

export function recordStopped(core: Core): void {
  core.write(() => {
    const now = core.now();
    core
      .stmt('UPDATE lifecycle_workers SET stopped_at = ?, next_pass_at = NULL, seen_at = ? WHERE owner = ?')
      .run(now, now, core.owner);
  });
}
