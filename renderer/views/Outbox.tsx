import { createColumnHelper } from '@tanstack/react-table';
import { useCallback, useEffect, useId, useMemo } from 'react';
import { DISPATCH_KINDS, OUTBOX_STATUSES, isOutboxPending, type OutboxStatus } from '../../shared/types';
import type { OutboxListItem } from '../../shared/views';
import { ActionHint } from '../components/Banners';
import { DataTable } from '../components/DataTable';
import { DebouncedInput, FilterBar } from '../components/FilterBar';
import { StatusBadge } from '../components/StatusBadge';
import { formatAgo, formatRelative, formatTime } from '../format';
import { useNow, usePersistentState } from '../hooks';
import { hrefFor, navigate } from '../routing';
import { useActionsStore } from '../stores/actions';
import { selectedItems } from '../stores/list';
import { selectWriteBlock, useStatusStore } from '../stores/status';
import { useOutboxStore } from '../stores/outbox';

const col = createColumnHelper<OutboxListItem>();
const KINDS = [...DISPATCH_KINDS, 'direct'] as const;
type Kind = (typeof KINDS)[number];

export function OutboxView() {
  const s = useOutboxStore();
  const request = useActionsStore((a) => a.request);
  const done = useActionsStore((a) => a.done);
  const writeBlock = useStatusStore(selectWriteBlock);
  const hintId = useId();
  const now = useNow();
  const [visibility, setVisibility] = usePersistentState<Record<string, boolean>>('lifecycle-desk.outbox.columns', {
    idempotencyKey: false,
    accountId: false,
    terminalReason: false,
    target: false,
    lastError: false,
    nextAttemptAt: false,
  });

  useEffect(() => {
    const st = useOutboxStore.getState();
    st.setActive(true);
    if (st.items.length) void st.refresh();
    else void st.reload();
    return () => useOutboxStore.getState().setActive(false);
  }, []);
  useEffect(() => {
    if (done) useOutboxStore.getState().clearSelection();
  }, [done]);

  const columns = useMemo(
    () => [
      col.accessor('status', { header: 'Status', size: 150, cell: (c) => <StatusBadge status={c.getValue()} /> }),
      col.accessor('id', { header: 'Row', size: 130, cell: (c) => <span className="mono">{c.getValue()}</span> }),
      col.accessor('turnId', {
        header: 'Turn',
        size: 130,
        cell: (c) => {
          const id = c.getValue();
          return id ? (
            <a className="mono" href={hrefFor({ view: 'turn', id })}>
              {id}
            </a>
          ) : (
            <span className="muted">none</span>
          );
        },
      }),
      col.accessor((r) => r.dispatchKind ?? 'direct', { id: 'kind', header: 'Kind', size: 72 }),
      col.accessor('channel', { header: 'Channel', size: 92 }),
      col.accessor('target', { header: 'Target', size: 130 }),
      col.accessor('accountId', { header: 'Account', size: 110 }),
      col.accessor('queuedAt', {
        header: 'Queued',
        size: 162,
        cell: (c) => <time title={formatAgo(c.getValue(), now)}>{formatTime(c.getValue())}</time>,
      }),
      col.accessor('attemptCount', {
        header: 'Attempts',
        size: 92,
        cell: (c) => <span className="num">{c.getValue()}</span>,
      }),
      col.accessor('nextAttemptAt', {
        header: 'Next attempt',
        size: 120,
        cell: (c) =>
          isOutboxPending(c.row.original.status) ? formatRelative(c.getValue(), now) : <span className="muted">—</span>,
      }),
      col.accessor('lastError', { header: 'Last error', size: 220, cell: (c) => c.getValue() ?? '' }),
      col.accessor('terminalReason', { header: 'Terminal reason', size: 170, cell: (c) => c.getValue() ?? '' }),
      col.accessor('idempotencyKey', {
        header: 'Idempotency key',
        size: 180,
        cell: (c) => <span className="mono">{c.getValue() ?? ''}</span>,
      }),
      col.accessor('stuckReason', {
        header: 'Why stuck',
        size: 380,
        cell: (c) =>
          c.getValue() ? <span className="stuck-reason">{c.getValue()}</span> : <span className="muted">—</span>,
      }),
    ],
    [now],
  );

  const selected = selectedItems(s);
  const openRow = useCallback((r: OutboxListItem) => {
    if (r.turnId) navigate({ view: 'turn', id: r.turnId });
  }, []);
  const setFilter = s.setFilter;

  return (
    <div className="view view-table">
      <FilterBar
        label="Outbox filters"
        statuses={OUTBOX_STATUSES}
        selectedStatuses={s.filter.status ?? []}
        onStatusesChange={(status) => setFilter({ status: status as OutboxStatus[] })}
        stuck={s.filter.stuck ?? false}
        onStuckChange={(stuck) => setFilter({ stuck })}
        order={s.filter.order ?? 'desc'}
        onOrderChange={(order) => setFilter({ order })}
        onReset={s.resetFilter}
      >
        <DebouncedInput
          search
          label="Search"
          placeholder="Row id, turn id or idempotency key"
          value={s.filter.search ?? ''}
          onCommit={(search) => setFilter({ search })}
        />
        <DebouncedInput
          label="Turn"
          placeholder="Exact turn id"
          value={s.filter.turnId ?? ''}
          onCommit={(turnId) => setFilter({ turnId })}
        />
        <DebouncedInput
          label="Channel"
          placeholder="e.g. slack"
          value={s.filter.channel ?? ''}
          onCommit={(channel) => setFilter({ channel })}
        />
        <label className="field">
          <span className="field-label">Kind</span>
          <select
            value={s.filter.kind ?? ''}
            onChange={(e) => setFilter({ kind: (e.target.value || undefined) as Kind | undefined })}
          >
            <option value="">Any</option>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
        </label>
      </FilterBar>
      {s.error && (
        <div className="notice notice-error" role="alert">
          Could not load the outbox: {s.error}
        </div>
      )}
      <DataTable
        label="Outbox"
        data={s.items}
        columns={columns}
        flexColumn="stuckReason"
        resetKey={JSON.stringify(s.filter)}
        sortColumn="queuedAt"
        order={s.filter.order ?? 'desc'}
        onOrderChange={(order) => setFilter({ order })}
        rowSelection={s.selection}
        onRowSelectionChange={s.setSelection}
        columnVisibility={visibility}
        onColumnVisibilityChange={setVisibility}
        hasMore={s.nextCursor !== null}
        loading={s.loading}
        loadingMore={s.loadingMore}
        onLoadMore={s.loadMore}
        onOpen={openRow}
        emptyText="No outbox rows match these filters."
        toolbar={
          <>
            <button
              type="button"
              className="btn"
              disabled={writeBlock !== null || selected.length === 0}
              title={writeBlock ?? (selected.length === 0 ? 'Select rows in the table first' : undefined)}
              aria-describedby={writeBlock ? hintId : undefined}
              onClick={() => request({ kind: 'retry', targets: selected.map((r) => r.id) })}
            >
              Retry now
            </button>
            <button
              type="button"
              className="btn btn-danger-outline"
              disabled={writeBlock !== null || selected.length === 0}
              title={writeBlock ?? (selected.length === 0 ? 'Select rows in the table first' : undefined)}
              aria-describedby={writeBlock ? hintId : undefined}
              onClick={() => request({ kind: 'terminate', targets: selected.map((r) => r.id) })}
            >
              Terminate
            </button>
            <ActionHint id={hintId} reason={writeBlock} />
          </>
        }
      />
    </div>
  );
}
