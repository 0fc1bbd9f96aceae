import {
  OUTBOX_STATUSES,
  TURN_ACTIVE_STATUSES,
  TURN_STATUSES,
  type OutboxStatus,
  type TurnStatus,
} from '../../../shared/types';
import type { SeriesPoint } from '../../../shared/views';
import type { Core } from '../context';
import { statusCountsOnly } from './counts';

const MINUTE = 60_000;

/** The buckets of a series over [now - windowMs, now]: whole minutes, the last one ending after now's minute. */
export interface SeriesWindow {
  buckets: number;
  bucketMs: number;
  /** Start of the first bucket (ms); the per-minute counters are read from its minute on. */
  start: number;
  startMinute: number;
}

export function seriesWindow(now: number, windowMs: number, buckets: number): SeriesWindow {
  const bucketMs = Math.max(MINUTE, Math.ceil(windowMs / buckets / MINUTE) * MINUTE);
  const end = Math.floor(now / MINUTE) * MINUTE + MINUTE;
  const start = end - bucketMs * buckets;
  return { buckets, bucketMs, start, startMinute: start / MINUTE };
}

/** One per-minute counter row (per entity, minute and status). */
export interface MinuteRow {
  entity: string;
  minute: number;
  status: string;
  entered: number;
  exited: number;
}

/**
 * The points out of the window's counter rows and today's turn counts: the open-turn curve is
 * rebuilt backwards from those counts.
 */
export function seriesPoints(
  w: SeriesWindow,
  rows: readonly MinuteRow[],
  current: Record<TurnStatus, number>,
): SeriesPoint[] {
  const { buckets, bucketMs, start } = w;
  const points: SeriesPoint[] = Array.from({ length: buckets }, (_, i) => ({
    t: start + i * bucketMs,
    turnsEntered: Object.fromEntries(TURN_STATUSES.map((s) => [s, 0])) as Record<TurnStatus, number>,
    turnsOpen: Object.fromEntries(TURN_ACTIVE_STATUSES.map((s) => [s, 0])) as SeriesPoint['turnsOpen'],
    outboxEntered: Object.fromEntries(OUTBOX_STATUSES.map((s) => [s, 0])) as Record<OutboxStatus, number>,
  }));
  const net = new Map<string, number[]>(TURN_ACTIVE_STATUSES.map((s) => [s, new Array<number>(buckets).fill(0)]));
  for (const r of rows) {
    const i = Math.floor((r.minute * MINUTE - start) / bucketMs);
    const p = points[i];
    if (!p) continue;
    if (r.entity === 'turn') {
      if (r.status in p.turnsEntered) p.turnsEntered[r.status as TurnStatus] += r.entered;
      const n = net.get(r.status);
      if (n) n[i]! += r.entered - r.exited;
    } else if (r.status in p.outboxEntered) {
      p.outboxEntered[r.status as OutboxStatus] += r.entered;
    }
  }
  for (const s of TURN_ACTIVE_STATUSES) {
    let open = current[s];
    const n = net.get(s)!;
    for (let i = buckets - 1; i >= 0; i--) {
      points[i]!.turnsOpen[s] = Math.max(0, open);
      open -= n[i]!;
    }
  }
  return points;
}

/**
 * The window's counter rows summed per bucket by SQL (`minute` is its bucket's first minute):
 * a few hundred rows for seriesPoints, not one per minute and status (40k over 7 days).
 * `p` names the backend's placeholders for the window's first minute and its bucket's minutes.
 */
export function bucketedMinutesSql(p: { start: string; bucket: string }): string {
  return `SELECT entity, ${p.start} + ((minute - ${p.start}) / ${p.bucket}) * ${p.bucket} AS minute, status,
         sum(entered) AS entered, sum(exited) AS exited
       FROM lifecycle_minutes WHERE entity IN ('turn','outbox') AND minute >= ${p.start}
       GROUP BY entity, 2, status`;
}

/**
 * Time series over [now - windowMs, now] in `buckets` buckets, read from the per-minute
 * counters.
 */
export function series(core: Core, windowMs: number, buckets: number): SeriesPoint[] {
  const w = seriesWindow(core.now(), windowMs, buckets);
  const rows = core
    .stmt(bucketedMinutesSql({ start: '@start', bucket: '@bucket' }))
    .all({ start: w.startMinute, bucket: w.bucketMs / MINUTE }) as MinuteRow[];
  return seriesPoints(w, rows, statusCountsOnly(core));
}
