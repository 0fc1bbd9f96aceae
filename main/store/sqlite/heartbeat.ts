import type { Core } from '../../lifecycle/context';
import { BEAT_UPSERT_SQL, FORGET_AFTER_MS, beatArgs, type Beat } from '../../recovery/heartbeat';

export function recordBeat(core: Core, startedAt: number, beat: Beat): void {
  core.write(() => {
    const now = core.now();
    core.stmt(BEAT_UPSERT_SQL).run(...beatArgs(core.owner, startedAt, beat, now));
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
