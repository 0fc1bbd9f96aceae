import type { ApiArgs, BulkPreview } from '../../shared/api';
import { filterText } from '../../shared/filter-text';
import { ACTION_STATUSES, type BulkAction } from '../../shared/triage';
import type { OutboxFilter, TurnFilter } from '../../shared/views';
import type { LifecycleStore } from '../store/contract';

// What a bulk action by filter works on: the person's filter narrowed to the statuses the action
// accepts. The preview counts it and the job walks it, so both see the same rows.

export type BulkTarget = ApiArgs<'previewBulk'>;

/** The filter narrowed to the statuses `action` accepts; null when none of the asked statuses can take it. */
export function effectiveFilter<F extends { status?: readonly string[] | undefined; [key: string]: unknown }>(
  action: BulkAction,
  filter: F,
): F | null {
  const allowed = ACTION_STATUSES[action] as readonly string[];
  // An empty status list would mean "any status" to the lists: an empty intersection is "nothing".
  const status = filter.status?.length ? filter.status.filter((s) => allowed.includes(s)) : [...allowed];
  return status.length ? { ...filter, status } : null;
}

export async function previewBulk(store: LifecycleStore, target: BulkTarget): Promise<BulkPreview> {
  const text = filterText(target.list, target.filter);
  if (target.list === 'turns') {
    const filter = target.filter as TurnFilter;
    const effective = effectiveFilter(target.action, filter);
    const [matching, count, sample] = await Promise.all([
      store.countTurns(filter),
      effective ? store.countTurns(effective) : 0,
      effective ? store.listTurns({ ...effective, limit: SAMPLE }).then((p) => p.items) : [],
    ]);
    return { count, matching, sample, filterText: text };
  }
  const filter = target.filter as OutboxFilter;
  const effective = effectiveFilter(target.action, filter);
  const [matching, count, sample] = await Promise.all([
    store.countOutbox(filter),
    effective ? store.countOutbox(effective) : 0,
    effective ? store.listOutbox({ ...effective, limit: SAMPLE }).then((p) => p.items) : [],
  ]);
  return { count, matching, sample, filterText: text };
}

/** How many rows the preview shows. */
const SAMPLE = 10;
