import { BEAT_UPSERT_SQL, FORGET_AFTER_MS, beatArgs, type Beat } from '../../recovery/heartbeat';
import { tx, type PgCore } from './context';
import { Params } from './params';

// The recovery worker's heartbeat (../../recovery/heartbeat.ts) in lifecycle_workers, by the
// store's clock, so that the dashboards of every node agree on whether it is alive.

export function recordBeat(core: PgCore, startedAt: number, beat: Beat): Promise<void> {
  return tx(core, async (t) => {
    const b = new Params();
    await t.run(b.bind(BEAT_UPSERT_SQL, beatArgs(core.owner, startedAt, beat, t.now)), b.values);
    await t.run('DELETE FROM lifecycle_workers WHERE seen_at < $1', [t.now - FORGET_AFTER_MS]);
  });
}

export function recordStopped(core: PgCore): Promise<void> {
  return tx(core, async (t) => {
    await t.run('UPDATE lifecycle_workers SET stopped_at = $1, next_pass_at = NULL, seen_at = $1 WHERE owner = $2', [
      t.now,
      core.owner,
    ]);
  });
}
