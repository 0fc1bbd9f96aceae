import { createColumnHelper } from '@tanstack/react-table';
import { DISPATCH_KINDS, ERROR_CLASSES, OUTBOX_STATUSES, isOutboxPending } from '../../shared/types';
import type { OutboxListItem } from '../../shared/views';
import { sharedColumns } from '../components/columns';
import { IdLink, ShortId } from '../components/ShortId';
import { NONE, Time } from '../components/Time';
import { formatRelative } from '../format';
import { hrefFor, navigate } from '../routing';
import type { FilterOf } from '../stores/list';
import { useOutboxStore } from '../stores/outbox';
import { BulkByFilter } from '../components/BulkByFilter';
import { ExportMenu } from '../components/ExportMenu';
import { ListView, type ListAction, type ListField, type PlainFilter } from './ListView';

const col = createColumnHelper<OutboxListItem>();
const shared = sharedColumns<OutboxListItem>();

const columns = (now: number) => [
  shared.status,
  col.accessor('id', { header: 'Row', size: 168, cell: (c) => <ShortId id={c.getValue()} /> }),
  col.accessor('turnId', {
    header: 'Turn',
    size: 168,
    cell: (c) => {
      const id = c.getValue();
      return id ? (
        <IdLink id={id} href={hrefFor({ view: 'turn', id })} />
      ) : c.row.original.resendOf ? (
        // A resend has no turn (it never re-decides one): it names the row it was made from.
        <span className="muted">
          resend of <ShortId id={c.row.original.resendOf} />
        </span>
      ) : (
        <span className="muted">none</span>
      );
    },
  }),
  col.accessor((r) => r.dispatchKind ?? 'direct', { id: 'kind', header: 'Kind', size: 72 }),
  col.accessor('channel', { header: 'Channel', size: 92 }),
  col.accessor('target', { header: 'Target', size: 130 }),
  col.accessor('accountId', { header: 'Account', size: 110 }),
  col.accessor('queuedAt', { header: 'Queued', size: 162, cell: (c) => <Time at={c.getValue()} now={now} /> }),
  shared.attempts,
  col.accessor('nextAttemptAt', {
    header: 'Next attempt',
    size: 120,
    cell: (c) => (isOutboxPending(c.row.original.status) ? formatRelative(c.getValue(), now) : NONE),
  }),
  col.accessor('lastError', { header: 'Last error', size: 220, cell: (c) => c.getValue() ?? '' }),
  col.accessor('terminalReason', { header: 'Terminal reason', size: 170, cell: (c) => c.getValue() ?? '' }),
  col.accessor('idempotencyKey', {
    header: 'Idempotency key',
    size: 180,
    cell: (c) => <span className="mono">{c.getValue() ?? ''}</span>,
  }),
  shared.stuckReason,
];

const fields: ListField<FilterOf<'listOutbox'>>[] = [
  {
    key: 'search',
    label: 'Search',
    placeholder: 'Id, turn, idempotency key, target, text or error (3+ characters)',
    hint: '3 characters or more: any part of the row id, turn id, idempotency key, target, message text or last error. Fewer: the start of the id.',
    search: true,
  },
  { key: 'turnId', label: 'Turn', placeholder: 'Exact turn id' },
  { key: 'channel', label: 'Channel', placeholder: 'e.g. slack' },
  { key: 'kind', label: 'Kind', options: [...DISPATCH_KINDS, 'direct'] },
  { key: 'errorClass', label: 'Error class', options: ERROR_CLASSES },
];

const actions: ListAction<OutboxListItem>[] = [
  { kind: 'retry', target: (r) => r.id },
  { kind: 'resend', target: (r) => r.id, turnOf: (r) => r.turnId },
  { kind: 'terminate', target: (r) => r.id },
];

const BY_FILTER = ['retry', 'resend', 'terminate'] as const;

const byFilter = (filter: PlainFilter<'listOutbox'>, order: 'asc' | 'desc') => (
  <>
    <BulkByFilter list="outbox" filter={filter} actions={BY_FILTER} />
    <ExportMenu target={{ list: 'outbox', filter, order }} />
  </>
);

const openTurn = (r: OutboxListItem): void => {
  if (r.turnId) navigate({ view: 'turn', id: r.turnId });
};

export function OutboxView() {
  return (
    <ListView
      name="outbox"
      store={useOutboxStore}
      label="Outbox"
      filterLabel="Outbox filters"
      statuses={OUTBOX_STATUSES}
      fields={fields}
      columns={columns}
      hidden={['idempotencyKey', 'accountId', 'terminalReason', 'target', 'lastError', 'nextAttemptAt']}
      sortColumn="queuedAt"
      actions={actions}
      timeLabel="Queued"
      byFilter={byFilter}
      onOpen={openTurn}
      loadError="Could not load the outbox"
      emptyText="No outbox rows match these filters."
    />
  );
}
