import type { SeriesPoint } from '../../../../shared/views';
import { bucketedMinutesSql, seriesPoints, seriesWindow, type MinuteRow } from '../../../lifecycle/queries/series';
import { read, type PgCore } from '../context';
import { turnCounts } from './counts';

/** SQLite's series (../../../lifecycle/queries/series.ts) from the per-minute counters summed over their shards. */
export function series(core: PgCore, windowMs: number, buckets: number): Promise<SeriesPoint[]> {
  return read(core, async (t) => {
    const w = seriesWindow(t.now, windowMs, buckets);
    // Summed over the counters' shards and per bucket (bigint sums come back as text: numbers here).
    const rows = (
      await t.all<MinuteRow>(bucketedMinutesSql({ start: '$1::bigint', bucket: '$2::bigint' }), [
        w.startMinute,
        w.bucketMs / 60_000,
      ])
    ).map((r) => ({ ...r, minute: Number(r.minute), entered: Number(r.entered), exited: Number(r.exited) }));
    return seriesPoints(w, rows, await turnCounts(t));
  });
}
