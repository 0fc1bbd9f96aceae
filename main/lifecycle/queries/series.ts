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

/**
 * Time series over [now - windowMs, now] in `buckets` buckets, read from the per-minute
 * counters: the open-turn curve is rebuilt backwards from today's counts.
 */
export function series(core: Core, windowMs: number, buckets: number): SeriesPoint[] {
  const now = core.now();
  const bucketMs = Math.max(MINUTE, Math.ceil(windowMs / buckets / MINUTE) * MINUTE);
  const end = Math.floor(now / MINUTE) * MINUTE + MINUTE;
  const start = end - bucketMs * buckets;
  const rows = core
    .stmt(
      `SELECT entity, minute, status, entered, exited FROM lifecycle_minutes
       WHERE entity IN ('turn','outbox') AND minute >= ? ORDER BY entity, minute`,
    )
    .all(start / MINUTE) as { entity: string; minute: number; status: string; entered: number; exited: number }[];
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
  const current = statusCountsOnly(core);
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
