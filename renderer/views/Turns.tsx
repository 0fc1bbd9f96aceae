import { createColumnHelper } from '@tanstack/react-table';
import { useCallback, useEffect, useId, useMemo } from 'react';
import { TURN_STATUSES, type TurnStatus } from '../../shared/types';
import type { TurnListItem } from '../../shared/views';
import { ActionHint } from '../components/Banners';
import { DataTable } from '../components/DataTable';
import { DebouncedInput, FilterBar } from '../components/FilterBar';
import { StatusBadge } from '../components/StatusBadge';
import { formatAgo, formatTime } from '../format';
import { useNow, usePersistentState } from '../hooks';
import { hrefFor, navigate } from '../routing';
import { useActionsStore } from '../stores/actions';
import { selectedItems } from '../stores/list';
import { selectWriteBlock, useStatusStore } from '../stores/status';
import { useTurnsStore } from '../stores/turns';

const col = createColumnHelper<TurnListItem>();

export function TurnsView() {
  const s = useTurnsStore();
  const request = useActionsStore((a) => a.request);
  const done = useActionsStore((a) => a.done);
  const writeBlock = useStatusStore(selectWriteBlock);
  const hintId = useId();
  const now = useNow();
  const [visibility, setVisibility] = usePersistentState<Record<string, boolean>>('lifecycle-desk.turns.columns', {
    routeTo: false,
    terminalReason: false,
    updatedAt: false,
  });

  useEffect(() => {
    const st = useTurnsStore.getState();
    st.setActive(true);
    if (st.items.length) void st.refresh();
    else void st.reload();
    return () => useTurnsStore.getState().setActive(false);
  }, []);
  useEffect(() => {
    if (done) useTurnsStore.getState().clearSelection();
  }, [done]);

  const columns = useMemo(
    () => [
      col.accessor('status', { header: 'Status', size: 150, cell: (c) => <StatusBadge status={c.getValue()} /> }),
      col.accessor('id', {
        header: 'Turn',
        size: 160,
        cell: (c) => (
          <a className="mono" href={hrefFor({ view: 'turn', id: c.getValue() })}>
            {c.getValue()}
          </a>
        ),
      }),
      col.accessor('sessionKey', {
        header: 'Session',
        size: 160,
        cell: (c) => <span className="mono">{c.getValue()}</span>,
      }),
      col.accessor('channel', { header: 'Channel', size: 92 }),
      col.accessor('acceptedAt', {
        header: 'Accepted',
        size: 162,
        cell: (c) => <time title={formatAgo(c.getValue(), now)}>{formatTime(c.getValue())}</time>,
      }),
      col.accessor('updatedAt', { header: 'Updated', size: 110, cell: (c) => formatAgo(c.getValue(), now) }),
      col.accessor('attemptCount', {
        header: 'Attempts',
        size: 92,
        cell: (c) => <span className="num">{c.getValue()}</span>,
      }),
      col.accessor('routeTo', { header: 'Reply to', size: 140 }),
      col.accessor('terminalReason', { header: 'Reason', size: 220, cell: (c) => c.getValue() ?? '' }),
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
  const openTurn = useCallback((t: TurnListItem) => navigate({ view: 'turn', id: t.id }), []);
  const setFilter = s.setFilter;

  return (
    <div className="view view-table">
      <FilterBar
        label="Turn filters"
        statuses={TURN_STATUSES}
        selectedStatuses={s.filter.status ?? []}
        onStatusesChange={(status) => setFilter({ status: status as TurnStatus[] })}
        stuck={s.filter.stuck ?? false}
        onStuckChange={(stuck) => setFilter({ stuck })}
        order={s.filter.order ?? 'desc'}
        onOrderChange={(order) => setFilter({ order })}
        onReset={s.resetFilter}
      >
        <DebouncedInput
          search
          label="Search"
          placeholder="Turn id or session prefix"
          value={s.filter.search ?? ''}
          onCommit={(search) => setFilter({ search })}
        />
        <DebouncedInput
          label="Session"
          placeholder="Exact session key"
          value={s.filter.sessionKey ?? ''}
          onCommit={(sessionKey) => setFilter({ sessionKey })}
        />
        <DebouncedInput
          label="Channel"
          placeholder="e.g. telegram"
          value={s.filter.channel ?? ''}
          onCommit={(channel) => setFilter({ channel })}
        />
      </FilterBar>
      {s.error && (
        <div className="notice notice-error" role="alert">
          Could not load turns: {s.error}
        </div>
      )}
      <DataTable
        label="Turns"
        data={s.items}
        columns={columns}
        flexColumn="stuckReason"
        resetKey={JSON.stringify(s.filter)}
        sortColumn="acceptedAt"
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
        onOpen={openTurn}
        emptyText="No turns match these filters."
        toolbar={
          <>
            <button
              type="button"
              className="btn"
              disabled={writeBlock !== null || selected.length === 0}
              title={writeBlock ?? (selected.length === 0 ? 'Select rows in the table first' : undefined)}
              aria-describedby={writeBlock ? hintId : undefined}
              onClick={() => request({ kind: 'replay', targets: selected.map((t) => t.id) })}
            >
              Replay turn
            </button>
            <button
              type="button"
              className="btn btn-danger-outline"
              disabled={writeBlock !== null || selected.length === 0}
              title={writeBlock ?? (selected.length === 0 ? 'Select rows in the table first' : undefined)}
              aria-describedby={writeBlock ? hintId : undefined}
              onClick={() => request({ kind: 'abort', targets: selected.map((t) => t.sessionKey) })}
            >
              Abort session
            </button>
            <ActionHint id={hintId} reason={writeBlock} />
          </>
        }
      />
    </div>
  );
}
