import { formatAgo, formatTime } from '../format';

/** A moment as local date and time, with how long ago in the tooltip. */
export function Time({ at, now }: { at: number; now: number }) {
  return <time title={formatAgo(at, now)}>{formatTime(at)}</time>;
}

/** Nothing to show in a field or a cell. */
export const NONE = <span className="muted">—</span>;
