import type { Core } from './context';
import { indexRows, SEARCHED } from './migrations/v5';
import { hasSchemaObject } from './queries/indexed-by';

// Migration 5 creates the full-text indexes and their triggers (rows written from then on are
// indexed as they are written) but leaves the rows already in the file to this backfill: on a
// file of a million turns indexing them took minutes, and the migration holds the write lock,
// so a gateway sharing the file would wait that long. Here they are indexed in small
// transactions, each table walked down from its highest rowid so that recent rows become
// searchable first. A row a writer changed before the walk reached it was indexed by the
// trigger; the walk's INSERT OR REPLACE writes the same entry again, so none is doubled.

export interface SearchIndexState {
  state: 'ready' | 'building';
  /** Rows already in the file when it was migrated, indexed so far. */
  indexed: number;
  /** Rows that were in the file when it was migrated. */
  total: number;
}

interface Progress {
  entity: string;
  below: number;
  done: number;
  total: number;
}

const STATE_TABLE = 'lifecycle_search_backfill';

const hasState = (core: Core): boolean => hasSchemaObject(core, STATE_TABLE);

/** How far the backfill got; undefined for a file without the search index (an older file read as it is). */
export function searchIndexState(core: Core): SearchIndexState | undefined {
  if (!hasState(core)) return undefined;
  const rows = core.stmt(`SELECT entity, below, done, total FROM ${STATE_TABLE}`).all() as Progress[];
  const left = rows.some((r) => r.below > 0);
  return {
    state: left ? 'building' : 'ready',
    indexed: rows.reduce((n, r) => n + r.done, 0),
    total: rows.reduce((n, r) => n + r.total, 0),
  };
}

/**
 * Indexes up to `limit` rows of the first table not yet done, in one write transaction, and
 * returns how many it handled: fewer than `limit` only when nothing is left.
 */
export function backfillStep(core: Core, limit: number): number {
  if (!hasState(core)) return 0;
  return core.write(() => {
    let handled = 0;
    for (const s of SEARCHED) {
      if (handled >= limit) break;
      const p = core.stmt(`SELECT entity, below, done, total FROM ${STATE_TABLE} WHERE entity = ?`).get(s.kind) as
        Progress | undefined;
      if (!p || p.below <= 0) continue;
      const want = limit - handled;
      const lo = core
        .stmt(`SELECT min(rowid) FROM (SELECT rowid FROM ${s.table} WHERE rowid < ? ORDER BY rowid DESC LIMIT ?)`)
        .pluck()
        .get(p.below, want) as number | null;
      let n = 0;
      if (lo !== null) {
        const [keys, error] = indexRows(s, 'r', `FROM ${s.table} AS r WHERE r.rowid >= @lo AND r.rowid < @below`);
        n = core.stmt(keys!).run({ lo, below: p.below }).changes;
        core.stmt(error!).run({ lo, below: p.below });
      }
      const finished = lo === null || n < want;
      // Rows pruned before the walk reached them are not counted: done ends as the total.
      core
        .stmt(
          `UPDATE ${STATE_TABLE} SET below = ?, done = done + ?, total = CASE WHEN ? THEN done + ? ELSE total END WHERE entity = ?`,
        )
        .run(finished ? 0 : lo, n, finished ? 1 : 0, n, s.kind);
      handled += n;
      if (!finished) break;
    }
    return handled;
  });
}

/**
 * Empties the search indexes and notes every row now in the file for the backfill, as the
 * migration does for the rows it finds: for a file loaded with the triggers dropped (the
 * bench's generator), whose indexes miss what was loaded. One transaction; the rows are then
 * indexed by the backfill (paced, or backfillSearchNow).
 */
export function restartSearchBackfill(core: Core): void {
  if (!hasState(core)) return;
  core.write(() => {
    for (const s of SEARCHED) {
      for (const fts of [s.fts, s.ftsError]) core.db.prepare(`DELETE FROM ${fts}`).run();
      core
        .stmt(
          `UPDATE ${STATE_TABLE} SET done = 0, (below, total) = (
             SELECT CASE WHEN max(rowid) IS NULL THEN 0 ELSE max(rowid) + 1 END, count(*) FROM ${s.table})
           WHERE entity = ?`,
        )
        .run(s.kind);
    }
  });
}

/** Rows a transaction of the unpaced backfill indexes: large, as nobody waits for the file then. */
const NOW_BATCH = 5_000;

/** The whole backfill at once, back to back (the bench's generator, a file nobody else has open). */
export function backfillSearchNow(core: Core): number {
  let total = 0;
  for (let n = NOW_BATCH; n === NOW_BATCH; total += n) n = backfillStep(core, NOW_BATCH);
  return total;
}
