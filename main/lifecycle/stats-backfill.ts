import type { StatsFillState } from '../../shared/views';
import type { Core } from './context';
import { FILL_STATEMENTS } from './migrations/v6';
import { hasSchemaObject } from './queries/indexed-by';

// Migration 6 adds the per-channel aggregates and their triggers but leaves the turns already in
// the file to this fill: counting a million turns reads the whole table (seconds on a cold
// cache) while a migration holds the write lock. Here they are counted in small transactions,
// walking rowids down from the highest, so that the most recent hours are right first. The
// triggers skip turns below the walk's mark (migrations/v6.ts, FILLED): such a turn is counted
// by the walk as it is then, and its later changes by the triggers, so none is counted twice.
// A turn pruned before the walk reached it is not counted (its history went with it).

export type { StatsFillState };

interface Progress {
  below: number;
  done: number;
  total: number;
}

const STATE_TABLE = 'lifecycle_stats_backfill';

/** Whether the file has the aggregates (an older file read through the shim has not). */
export const hasChannelStats = (core: Core): boolean => hasSchemaObject(core, STATE_TABLE);

/** `counted` of `total`: the turns there when the file was migrated (less those pruned before the walk reached them). */
export function statsFillState(core: Core): StatsFillState | undefined {
  if (!hasChannelStats(core)) return undefined;
  const p = core.stmt(`SELECT below, done, total FROM ${STATE_TABLE} WHERE one = 1`).get() as Progress | undefined;
  if (!p) return { state: 'ready', counted: 0, total: 0 };
  return { state: p.below > 0 ? 'building' : 'ready', counted: p.done, total: p.total };
}

/** Counts up to `limit` turns in one write transaction; returns how many (fewer than `limit`: done). */
export function statsFillStep(core: Core, limit: number): number {
  if (!hasChannelStats(core)) return 0;
  return core.write(() => {
    const p = core.stmt(`SELECT below, done, total FROM ${STATE_TABLE} WHERE one = 1`).get() as Progress | undefined;
    if (!p || p.below <= 0) return 0;
    const { lo, n } = core
      .stmt(
        'SELECT min(rowid) AS lo, count(*) AS n FROM (SELECT rowid FROM message_turns WHERE rowid < ? ORDER BY rowid DESC LIMIT ?)',
      )
      .get(p.below, limit) as { lo: number | null; n: number };
    if (lo !== null) for (const sql of FILL_STATEMENTS) core.stmt(sql).run({ lo, below: p.below });
    const finished = lo === null || n < limit;
    core
      .stmt(
        `UPDATE ${STATE_TABLE} SET below = ?, done = done + ?, total = CASE WHEN ? THEN done + ? ELSE total END WHERE one = 1`,
      )
      .run(finished ? 0 : lo, n, finished ? 1 : 0, n);
    return n;
  });
}

const NOW_BATCH = 20_000;

/** The whole fill back to back (tests, the bench's generator, a file nobody else has open). */
export function statsFillNow(core: Core): number {
  let total = 0;
  for (let n = NOW_BATCH; n === NOW_BATCH; total += n) n = statsFillStep(core, NOW_BATCH);
  return total;
}
