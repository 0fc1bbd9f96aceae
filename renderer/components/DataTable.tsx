import {
  flexRender,
  getCoreRowModel,
  useReactTable,
  type ColumnDef,
  type RowSelectionState,
  type Updater,
  type VisibilityState,
} from '@tanstack/react-table';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { formatNumber, shortId } from '../format';

// A server-side table: the rows given are what the server returned for the current filter
// and order (cursor paging), of which only the pages near the viewport are held. This component
// renders the visible rows (virtualized: a placeholder where a page is being fetched again),
// reports the visible range, sort clicks, selection and column choice, and asks for the next
// page near the bottom.

const ROW_HEIGHT = 40;
const LOAD_AHEAD_ROWS = 15;
const FLEX_MIN = 260;
/** Rows PageUp / PageDown move by. */
const PAGE_ROWS = 10;
const CONTROLS = 'a[href], button, input, select, textarea, summary';

export interface DataTableProps<T extends { id: string }> {
  label: string;
  /** The rows held (a window of the list): the row model is built from these only. */
  data: T[];
  /** Rows known in the whole list (the scroll height); `itemAt` gives those that are held. */
  count: number;
  itemAt(index: number): T | undefined;
  /** The rows from `first` to `last` (indices in the list) are on screen or about to be. */
  onRangeChange(first: number, last: number): void;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tanstack's column value types are heterogeneous
  columns: ColumnDef<T, any>[];
  /** The column that takes the remaining width (e.g. "why stuck"); at least FLEX_MIN px. */
  flexColumn?: string;
  /** The time column the server sorts by; its header toggles the order. */
  sortColumn: string;
  order: 'asc' | 'desc';
  onOrderChange(order: 'asc' | 'desc'): void;
  rowSelection: RowSelectionState;
  onRowSelectionChange(selection: RowSelectionState): void;
  columnVisibility: VisibilityState;
  onColumnVisibilityChange(visibility: VisibilityState): void;
  hasMore: boolean;
  loading: boolean;
  loadingMore: boolean;
  onLoadMore(): void;
  /** Row click (not on a control): open the row. */
  onOpen?: (row: T) => void;
  emptyText: string;
  /** When it changes (new filter or order), the table scrolls back to the top. */
  resetKey?: string;
  /** Bulk actions for the selection, shown in the toolbar. */
  toolbar?: ReactNode;
  /** A row kept in view for the person (acted on, gone from the filter): its class and what it says. */
  rowMark?: (row: T) => { className: string; note: string } | null;
  /** The table left its top or came back to it (lists hold still while scrolled). */
  onScrolledChange?: (scrolled: boolean) => void;
}

function resolve<S>(updater: Updater<S>, old: S): S {
  return typeof updater === 'function' ? (updater as (old: S) => S)(old) : updater;
}

export function DataTable<T extends { id: string }>(props: DataTableProps<T>) {
  const { data, columns, rowSelection, columnVisibility, order, sortColumn } = props;
  const scrollRef = useRef<HTMLDivElement>(null);

  const allColumns = useMemo<ColumnDef<T, unknown>[]>(
    () => [
      {
        id: 'select',
        size: 40,
        enableHiding: false,
        header: ({ table }) => (
          <input
            type="checkbox"
            aria-label="Select all loaded rows"
            checked={table.getIsAllRowsSelected()}
            ref={(el) => {
              if (el) el.indeterminate = table.getIsSomeRowsSelected();
            }}
            onChange={table.getToggleAllRowsSelectedHandler()}
          />
        ),
        cell: ({ row }) => (
          <input
            type="checkbox"
            aria-label={`Select row ${shortId(row.id)}`}
            // Space on the row ticks it: the row, not each box, is the table's tab stop.
            tabIndex={-1}
            data-row-control="select"
            checked={row.getIsSelected()}
            onChange={row.getToggleSelectedHandler()}
            onClick={(e) => e.stopPropagation()}
          />
        ),
      },
      ...(columns as ColumnDef<T, unknown>[]),
    ],
    [columns],
  );

  const table = useReactTable<T>({
    data,
    columns: allColumns,
    getRowId: (row) => row.id,
    getCoreRowModel: getCoreRowModel(),
    manualSorting: true,
    manualFiltering: true,
    manualPagination: true,
    enableRowSelection: true,
    state: {
      rowSelection,
      columnVisibility,
      sorting: [{ id: sortColumn, desc: order === 'desc' }],
    },
    onRowSelectionChange: (u) => props.onRowSelectionChange(resolve(u, rowSelection)),
    onColumnVisibilityChange: (u) => props.onColumnVisibilityChange(resolve(u, columnVisibility)),
  });

  const { rowsById } = table.getRowModel();
  const { count, itemAt } = props;
  const virtualizer = useVirtualizer({
    count,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });
  const items = virtualizer.getVirtualItems();
  const padTop = items[0]?.start ?? 0;
  const padBottom = Math.max(0, virtualizer.getTotalSize() - (items.at(-1)?.end ?? 0));
  const firstIndex = items[0]?.index ?? 0;
  const lastIndex = items.at(-1)?.index ?? -1;
  const { hasMore, loadingMore, loading, onLoadMore, onRangeChange } = props;

  // Keyboard: one row is the table's tab stop (roving tabindex); the arrows, Home/End and
  // PageUp/PageDown move it, Enter opens the row, Space ticks it. Only that row's own links and
  // buttons are tab stops too, so Tab crosses the table in a few steps, not through every row.
  const tbodyRef = useRef<HTMLTableSectionElement>(null);
  const [active, setActive] = useState(0);
  const focusWanted = useRef(false);
  const rendered = items.some((vi) => vi.index === active);
  const tabRow = rendered ? active : firstIndex;
  useLayoutEffect(() => {
    const body = tbodyRef.current;
    if (!body) return;
    for (const tr of body.querySelectorAll<HTMLTableRowElement>('tr[data-row-id]')) {
      const own = Number(tr.getAttribute('aria-rowindex')) - 2 === tabRow;
      for (const el of tr.querySelectorAll<HTMLElement>(CONTROLS)) {
        if (!own) el.tabIndex = -1;
        else if (el.dataset.rowControl !== 'select') el.removeAttribute('tabindex');
      }
    }
    if (focusWanted.current) {
      const tr = body.querySelector<HTMLElement>(`tr[aria-rowindex="${active + 2}"][data-row-id]`);
      if (tr) {
        focusWanted.current = false;
        tr.focus();
      }
    }
  });
  useEffect(() => {
    if (active > 0 && active >= count) setActive(Math.max(0, count - 1));
  }, [active, count]);
  const moveTo = (index: number): void => {
    const to = Math.max(0, Math.min(count - 1, index));
    setActive(to);
    focusWanted.current = true;
    virtualizer.scrollToIndex(to, { align: 'auto' });
  };
  const onRowKey = (
    e: KeyboardEvent<HTMLTableRowElement>,
    index: number,
    open: () => void,
    toggle: () => void,
  ): void => {
    if (e.target !== e.currentTarget || e.altKey || e.ctrlKey || e.metaKey) return;
    const step: Record<string, number> = {
      ArrowDown: index + 1,
      ArrowUp: index - 1,
      PageDown: index + PAGE_ROWS,
      PageUp: index - PAGE_ROWS,
      Home: 0,
      End: count - 1,
    };
    const to = step[e.key];
    if (to !== undefined) {
      e.preventDefault();
      moveTo(to);
    } else if (e.key === 'Enter') {
      e.preventDefault();
      open();
    } else if (e.key === ' ') {
      e.preventDefault();
      toggle();
    }
  };

  useEffect(() => {
    if (hasMore && !loadingMore && !loading && lastIndex >= count - LOAD_AHEAD_ROWS) onLoadMore();
  }, [hasMore, loadingMore, loading, lastIndex, count, onLoadMore]);
  useEffect(() => {
    if (lastIndex >= 0) onRangeChange(firstIndex, lastIndex);
  }, [firstIndex, lastIndex, count, onRangeChange]);

  const { resetKey } = props;
  useEffect(() => {
    if (scrollRef.current) scrollRef.current.scrollTop = 0;
  }, [resetKey]);

  // With the header row; -1 is ARIA's "not known" while more pages can come.
  const rowCount = hasMore ? -1 : count + 1;
  const selected = Object.values(rowSelection).filter(Boolean).length;
  const visibleColumns = table.getVisibleLeafColumns();
  const hideable = table.getAllLeafColumns().filter((c) => c.getCanHide());
  const flexVisible = visibleColumns.some((c) => c.id === props.flexColumn);
  const minWidth = visibleColumns.reduce((w, c) => w + (c.id === props.flexColumn ? FLEX_MIN : c.getSize()), 0);

  return (
    <div className="data-table">
      <div className="table-toolbar">
        <div className="selection-info" aria-live="polite">
          {selected > 0 ? `${formatNumber(selected)} selected` : 'Select rows for bulk actions'}
        </div>
        <div className="bulk-actions">{props.toolbar}</div>
        <details className="column-chooser">
          <summary className="btn btn-ghost">Columns</summary>
          <div className="menu" role="group" aria-label="Visible columns">
            {hideable.map((c) => (
              <label key={c.id} className="check">
                <input type="checkbox" checked={c.getIsVisible()} onChange={c.getToggleVisibilityHandler()} />
                {typeof c.columnDef.header === 'string' ? c.columnDef.header : c.id}
              </label>
            ))}
          </div>
        </details>
      </div>
      <div
        className="table-scroll"
        ref={scrollRef}
        tabIndex={-1}
        onScroll={props.onScrolledChange ? (e) => props.onScrolledChange?.(e.currentTarget.scrollTop > 0) : undefined}
      >
        <table aria-label={props.label} aria-rowcount={rowCount} aria-busy={loading} style={{ minWidth }}>
          <colgroup>
            {visibleColumns.map((c) => (
              <col
                key={c.id}
                style={
                  c.id === props.flexColumn || (!flexVisible && c === visibleColumns.at(-1))
                    ? undefined
                    : { width: c.getSize() }
                }
              />
            ))}
          </colgroup>
          <thead>
            {table.getHeaderGroups().map((group) => (
              <tr key={group.id}>
                {group.headers.map((header) => {
                  const sorted = header.column.id === sortColumn;
                  const content = header.isPlaceholder
                    ? null
                    : flexRender(header.column.columnDef.header, header.getContext());
                  return (
                    <th
                      key={header.id}
                      scope="col"
                      aria-sort={sorted ? (order === 'desc' ? 'descending' : 'ascending') : undefined}
                    >
                      {sorted ? (
                        <button
                          type="button"
                          className="sort-button"
                          aria-label={`${typeof header.column.columnDef.header === 'string' ? header.column.columnDef.header : header.column.id}, ${order === 'desc' ? 'newest first' : 'oldest first'}: show ${order === 'desc' ? 'oldest' : 'newest'} first`}
                          onClick={() => props.onOrderChange(order === 'desc' ? 'asc' : 'desc')}
                          title={
                            order === 'desc' ? 'Newest first: show oldest first' : 'Oldest first: show newest first'
                          }
                        >
                          {content}
                          <span aria-hidden="true">{order === 'desc' ? ' ↓' : ' ↑'}</span>
                        </button>
                      ) : (
                        content
                      )}
                    </th>
                  );
                })}
              </tr>
            ))}
          </thead>
          <tbody ref={tbodyRef}>
            {padTop > 0 && (
              <tr aria-hidden="true" className="spacer">
                <td colSpan={visibleColumns.length} style={{ height: padTop }} />
              </tr>
            )}
            {items.map((vi) => {
              const item = itemAt(vi.index);
              const row = item ? rowsById[item.id] : undefined;
              if (!row) {
                // Its page was dropped (far from view) and is being fetched again by its cursor.
                return (
                  <tr
                    key={`at-${vi.index}`}
                    aria-rowindex={vi.index + 2}
                    className="placeholder"
                    style={{ height: ROW_HEIGHT }}
                  >
                    <td colSpan={visibleColumns.length} className="muted">
                      Loading…
                    </td>
                  </tr>
                );
              }
              const mark = props.rowMark?.(row.original) ?? null;
              const cells = row.getVisibleCells();
              // The note goes in the flexible column (why stuck), or the last one when it is hidden.
              const noteCell = cells.find((c) => c.column.id === props.flexColumn) ?? cells.at(-1);
              return (
                <tr
                  key={row.id}
                  data-row-id={row.id}
                  aria-rowindex={vi.index + 2}
                  aria-selected={row.getIsSelected()}
                  className={`${row.getIsSelected() ? 'selected' : ''}${props.onOpen ? ' clickable' : ''}${mark ? ` ${mark.className}` : ''}`}
                  title={mark?.note}
                  style={{ height: ROW_HEIGHT }}
                  tabIndex={vi.index === tabRow ? 0 : -1}
                  onFocus={(e) => {
                    if (e.target === e.currentTarget) setActive(vi.index);
                  }}
                  onKeyDown={(e) =>
                    onRowKey(
                      e,
                      vi.index,
                      () => props.onOpen?.(row.original),
                      () => row.toggleSelected(),
                    )
                  }
                  onClick={(e) => {
                    const target = e.target as HTMLElement;
                    if (target.closest('a, button, input, label, select')) return;
                    props.onOpen?.(row.original);
                  }}
                >
                  {cells.map((cell) => {
                    const value = cell.getValue();
                    return (
                      <td
                        key={cell.id}
                        className={`col-${cell.column.id}`}
                        title={typeof value === 'string' ? value : undefined}
                      >
                        {mark && cell === noteCell && <span className="row-note">{mark.note}</span>}
                        {flexRender(cell.column.columnDef.cell, cell.getContext())}
                      </td>
                    );
                  })}
                </tr>
              );
            })}
            {padBottom > 0 && (
              <tr aria-hidden="true" className="spacer">
                <td colSpan={visibleColumns.length} style={{ height: padBottom }} />
              </tr>
            )}
          </tbody>
        </table>
        {count === 0 && !loading && <p className="empty">{props.emptyText}</p>}
        {loading && count === 0 && <p className="empty">Loading…</p>}
      </div>
      <div className="table-footer">
        <span>
          {formatNumber(count)} {count === 1 ? 'row' : 'rows'} loaded{hasMore ? ', more available' : ''}
        </span>
        {hasMore && (
          <button type="button" className="btn btn-ghost" onClick={onLoadMore} disabled={loadingMore}>
            {loadingMore ? 'Loading…' : 'Load more'}
          </button>
        )}
      </div>
    </div>
  );
}
