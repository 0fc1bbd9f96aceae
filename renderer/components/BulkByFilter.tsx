import { useEffect } from 'react';
import type { BulkAction } from '../../shared/triage';
import type { OutboxFilter, TurnFilter } from '../../shared/views';
import { formatNumber } from '../format';
import { filterKey, forgetCount, useBulkStore, type BulkTarget } from '../stores/bulk';
import { selectWriteBlock, useStatusStore } from '../stores/status';

// The list views (Turns, Outbox) place this next to their bulk actions for ticked rows: it acts
// on every row matching the filter instead, through the one bulk dialog (BulkJobDialog).

export type BulkByFilterProps =
  | { list: 'turns'; filter: TurnFilter; actions: readonly Extract<BulkAction, 'replay' | 'replay-as-new' | 'abort'>[] }
  | { list: 'outbox'; filter: OutboxFilter; actions: readonly Extract<BulkAction, 'retry' | 'resend' | 'terminate'>[] };

const WAIT_MS = 300;

/** "Act on all N matching…": opens the preview of a bulk action over the whole filter. */
export function BulkByFilter(props: BulkByFilterProps) {
  const target = props as BulkTarget;
  const key = filterKey(target);
  const matching = useBulkStore((s) => s.matching[key]);
  const open = useBulkStore((s) => s.open);
  const blocked = useStatusStore(selectWriteBlock);
  useEffect(() => {
    // Counted after a pause: typing in a search box changes the filter at every key.
    const t = setTimeout(() => void useBulkStore.getState().countMatching(target), WAIT_MS);
    return () => {
      clearTimeout(t);
      forgetCount(target);
    };
    // Keyed by the filter's value: the object itself is new at every render.
  }, [key]);
  if (props.actions.length === 0) return null;
  const what = props.list === 'turns' ? 'turns' : 'rows';
  const none = matching === 0;
  return (
    <button
      type="button"
      className="btn bulk-by-filter"
      disabled={blocked !== null || none}
      title={
        blocked ??
        (none ? `No ${what} match the filter` : `Preview an action on every ${what.slice(0, -1)} matching the filter`)
      }
      onClick={() => open(target)}
    >
      {matching === undefined ? `Act on all matching ${what}…` : `Act on all ${formatNumber(matching)} matching…`}
    </button>
  );
}
