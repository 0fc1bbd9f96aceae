import type { ColumnDef } from '@tanstack/react-table';
import { useEffect, useMemo, type ReactNode } from 'react';
import { formatDuration } from '../../shared/stuck';
import { DEFAULT_ATTENTION_WINDOW_MS, MIN_FULL_TEXT, type BulkAction } from '../../shared/triage';
import { BulkActions } from '../components/ActionButton';
import { ErrorNotice, SearchIndexNote } from '../components/Banners';
import { DataTable } from '../components/DataTable';
import { DebouncedInput, FilterBar, SelectField } from '../components/FilterBar';
import { useNow, usePersistentState, useWhileShown } from '../hooks';
import { TimeRange, type TimeRangeValue } from '../components/TimeRange';
import { ACTIONS, eligible, requestFor, useActionsStore } from '../stores/actions';
import { formatNumber } from '../format';
import {
  NEW_MAX,
  cleanFilter,
  itemAt,
  markNote,
  selectedItems,
  type FilterOf,
  type ItemOf,
  type ListMethod,
  type ListState,
  type ListStore,
} from '../stores/list';
import { selectWriteBlock, useStatusStore } from '../stores/status';

// One view for both server-paged tables (Turns, Outbox): filters, the table, its bulk actions.
// Each of them only declares its columns, filter fields and actions.

type TextKey<F> = { [K in keyof F]-?: NonNullable<F[K]> extends string ? K : never }[keyof F] & string;

/** A filter field: a text box (committed after a pause in typing, or on Enter) or a choice. */
export type ListField<F> =
  | {
      key: TextKey<F>;
      label: string;
      placeholder: string;
      /** The view's main search box: '/' focuses it. */
      search?: true;
      /** What it matches, in full (the tooltip). */
      hint?: string;
    }
  | {
      key: TextKey<F>;
      label: string;
      /** The values to choose from, after "Any". */
      options: readonly string[];
    };

export interface ListAction<T> {
  kind: BulkAction;
  /** What the action applies to for a selected row: its id, its session key… */
  target(item: T): string;
  /** An outbox row's turn: the result of a resend links to the page that shows both rows. */
  turnOf?(item: T): string | null;
}

/** The filter as a bulk job and an export take it: no order, no paging, no empty values. */
export type PlainFilter<M extends ListMethod> = Omit<FilterOf<M>, 'order'>;

export interface ListViewProps<M extends ListMethod> {
  /** Names the column choice kept in localStorage: lifecycle-desk.<name>.columns. */
  name: string;
  store: ListStore<M>;
  /** The table's accessible name. */
  label: string;
  filterLabel: string;
  statuses: readonly string[];
  fields: ListField<FilterOf<M>>[];
  /** The columns, given the time now (for relative times); a function defined once. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tanstack's column value types are heterogeneous
  columns(now: number): ColumnDef<ItemOf<M>, any>[];
  /** Columns hidden until the user shows them (Columns menu). */
  hidden: string[];
  /** The time column the server sorts by. */
  sortColumn: string;
  actions: ListAction<ItemOf<M>>[];
  /** What the time range applies to ("Accepted", "Queued"): the filter's since / until. */
  timeLabel: string;
  /** The toolbar's actions on every row matching the filter (bulk by filter, export). */
  byFilter(filter: PlainFilter<M>, order: 'asc' | 'desc'): ReactNode;
  onOpen(item: ItemOf<M>): void;
  /** "Could not load turns": the alert's text before the error. */
  loadError: string;
  emptyText: string;
}

/** The filter keys both tables have. */
interface CommonFilter extends TimeRangeValue {
  status?: readonly string[];
  stuck?: boolean;
  dead?: boolean;
  order?: 'asc' | 'desc';
}

function resume<M extends ListMethod>(state: ListState<M>): Promise<void> {
  return state.resume();
}

export function ListView<M extends ListMethod>(props: ListViewProps<M>) {
  const { store, columns } = props;
  const s = store();
  const request = useActionsStore((a) => a.request);
  const done = useActionsStore((a) => a.done);
  const writeBlock = useStatusStore(selectWriteBlock);
  const attention = useStatusStore((st) => st.info?.attentionWindowMs ?? DEFAULT_ATTENTION_WINDOW_MS);
  const searchIndex = useStatusStore((st) => st.info?.searchIndex);
  // The engine fills the index in the background and only getInfo says how far: ask again while it builds.
  const building = searchIndex?.state === 'building';
  useEffect(() => {
    if (!building) return;
    const timer = setInterval(() => void useStatusStore.getState().loadInfo(), 5_000);
    return () => clearInterval(timer);
  }, [building]);
  const now = useNow();
  const [visibility, setVisibility] = usePersistentState<Record<string, boolean>>(
    `lifecycle-desk.${props.name}.columns`,
    Object.fromEntries(props.hidden.map((id) => [id, false])),
  );

  useWhileShown(store, resume);
  // A finished action clears the selection it was taken on.
  useEffect(() => {
    if (done) store.getState().clearSelection();
  }, [done, store]);

  const shownColumns = useMemo(() => columns(now), [columns, now]);
  const selected = selectedItems(s);
  const filter = s.filter as CommonFilter;
  const text = s.filter as Partial<Record<string, string>>;
  const setFilter = (patch: CommonFilter | Record<string, string | number | undefined>): void =>
    s.setFilter(patch as Partial<FilterOf<M>>);
  const order = filter.order ?? 'desc';
  const { order: _order, ...plain } = cleanFilter(s.filter) as FilterOf<M> & CommonFilter;

  return (
    <div className="view view-table">
      <FilterBar
        label={props.filterLabel}
        statuses={props.statuses}
        selectedStatuses={filter.status ?? []}
        onStatusesChange={(status) => setFilter({ status })}
        stuck={filter.stuck ?? false}
        onStuckChange={(stuck) => setFilter({ stuck })}
        dead={filter.dead ?? false}
        onDeadChange={(dead) => setFilter({ dead })}
        deadLabel={`Failed for good (${formatDuration(attention)})`}
        order={order}
        onOrderChange={(order) => setFilter({ order })}
        onReset={s.resetFilter}
      >
        {props.fields.map((f) =>
          'options' in f ? (
            <SelectField
              key={f.key}
              label={f.label}
              value={text[f.key] ?? ''}
              options={[{ value: '', label: 'Any' }, ...f.options.map((o) => ({ value: o, label: o }))]}
              onChange={(value) => setFilter({ [f.key]: value || undefined })}
            />
          ) : (
            <DebouncedInput
              key={f.key}
              search={f.search ?? false}
              label={f.label}
              placeholder={f.placeholder}
              hint={f.hint}
              value={text[f.key] ?? ''}
              onCommit={(value) => setFilter({ [f.key]: value })}
            />
          ),
        )}
        <TimeRange
          label={props.timeLabel}
          value={{ since: filter.since, until: filter.until }}
          onChange={(range) => setFilter(range)}
        />
      </FilterBar>
      {(text.search?.length ?? 0) >= MIN_FULL_TEXT && <SearchIndexNote index={searchIndex} />}
      {s.error && (
        <ErrorNotice>
          {props.loadError}: {s.error}
        </ErrorNotice>
      )}
      <div className="live-table">
        {s.newRows > 0 && (
          <div className="new-rows">
            <button
              type="button"
              className="btn btn-small new-rows-button"
              data-shortcut-new=""
              title="Insert them and go to the top (N)"
              onClick={() => void s.showNew()}
            >
              {s.newRows >= NEW_MAX ? `${NEW_MAX}+` : formatNumber(s.newRows)} new — show
            </button>
          </div>
        )}
        <DataTable
          label={props.label}
          data={s.items}
          count={s.count}
          itemAt={(index) => itemAt(s.pages, index)}
          onRangeChange={s.showRange}
          columns={shownColumns}
          flexColumn="stuckReason"
          resetKey={`${JSON.stringify(s.filter)} ${s.shown}`}
          rowMark={(item) => {
            const note = markNote(s.marks[item.id], s.gone[item.id] === true);
            if (!note) return null;
            return { className: s.gone[item.id] ? 'row-kept row-gone' : 'row-kept', note };
          }}
          onScrolledChange={s.setScrolled}
          sortColumn={props.sortColumn}
          order={order}
          onOrderChange={(order) => setFilter({ order })}
          rowSelection={s.selection}
          onRowSelectionChange={s.setSelection}
          columnVisibility={visibility}
          onColumnVisibilityChange={setVisibility}
          hasMore={s.nextCursor !== null}
          loading={s.loading}
          loadingMore={s.loadingMore}
          onLoadMore={s.loadMore}
          onOpen={props.onOpen}
          emptyText={props.emptyText}
          toolbar={
            <>
              <div className="toolbar-group" role="group" aria-label="Actions on the selected rows">
                <BulkActions
                  blocked={writeBlock}
                  actions={props.actions.map((a) => {
                    const e = eligible(a.kind, selected, a.target);
                    return {
                      label: ACTIONS[a.kind].label,
                      danger: ACTIONS[a.kind].irreversible,
                      unavailable: e.why,
                      title:
                        e.eligible < selected.length
                          ? `${formatNumber(e.eligible)} of ${formatNumber(selected.length)} selected can be ${ACTIONS[a.kind].done}`
                          : undefined,
                      onRun: () => {
                        const turnOf = a.turnOf;
                        request(
                          requestFor(a.kind, selected, a.target, {
                            turnOf: turnOf
                              ? Object.fromEntries(selected.map((it) => [a.target(it), turnOf(it)]))
                              : undefined,
                          }),
                        );
                      },
                    };
                  })}
                />
              </div>
              <div
                className="toolbar-group toolbar-by-filter"
                role="group"
                aria-label="Actions on every row matching the filter"
              >
                {props.byFilter(plain as PlainFilter<M>, order)}
              </div>
            </>
          }
        />
      </div>
    </div>
  );
}
