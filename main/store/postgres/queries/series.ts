import type { SeriesPoint } from '../../../../shared/views';
import { seriesPoints, seriesWindow, type MinuteRow } from '../../../lifecycle/queries/series';
import { read, type PgCore } from '../context';
import { turnCounts } from './counts';

/** SQLite's series (../../../lifecycle/queries/series.ts) from the per-minute counters summed over their shards. */
export function series(core: PgCore, windowMs: number, buckets: number): Promise<SeriesPoint[]> {
  return read(core, async (t) => {
    const w = seriesWindow(t.now, windowMs, buckets);
    const rows = await t.all<MinuteRow>(
      `SELECT entity, minute, status, sum(entered) AS entered, sum(exited) AS exited FROM lifecycle_minutes
       WHERE entity IN ('turn','outbox') AND minute >= $1 GROUP BY entity, minute, status ORDER BY entity, minute`,
      [w.startMinute],
    );
    return seriesPoints(w, rows, await turnCounts(t));
  });
}
