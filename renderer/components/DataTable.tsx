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
import { useEffect, useMemo, useRef, type ReactNode } from 'react';
import { formatNumber } from '../format';

// A server-side table: the rows given are what the server returned for the current filter
// and order (cursor paging), of which only the pages near the viewport are held. This component
// renders the visible rows (virtualized: a placeholder where a page is being fetched again),
// reports the visible range, sort clicks, selection and column choice, and asks for the next
// page near the bottom.

const ROW_HEIGHT = 40;
const LOAD_AHEAD_ROWS = 15;
const FLEX_MIN = 260;

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
            aria-label={`Select ${row.id}`}
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
          <tbody>
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
