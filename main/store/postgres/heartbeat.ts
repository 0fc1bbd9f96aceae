import os from 'node:os';
import { FORGET_AFTER_MS, type Beat } from '../../recovery/heartbeat';
import { tx, type PgCore } from './context';

// The recovery worker's heartbeat (../../recovery/heartbeat.ts) in lifecycle_workers, by the
// store's clock, so that the dashboards of every node agree on whether it is alive.

export function recordBeat(core: PgCore, startedAt: number, beat: Beat): Promise<void> {
  return tx(core, async (t) => {
    await t.run(
      `INSERT INTO lifecycle_workers (owner, host, pid, started_at, last_pass_at, next_pass_at, stopped_at, seen_at, handlers)
       VALUES ($1, $2, $3, $4, $5, $6, NULL, $7, $8)
       ON CONFLICT (owner) DO UPDATE SET last_pass_at = excluded.last_pass_at, next_pass_at = excluded.next_pass_at,
         stopped_at = NULL, seen_at = excluded.seen_at, handlers = excluded.handlers`,
      [
        core.owner,
        os.hostname(),
        process.pid,
        startedAt,
        beat.lastPassAt,
        beat.nextPassAt,
        t.now,
        beat.handlers.join(','),
      ],
    );
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
