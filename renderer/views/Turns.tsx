import { createColumnHelper } from '@tanstack/react-table';
import { TURN_STATUSES } from '../../shared/types';
import type { TurnListItem } from '../../shared/views';
import { plainStatus } from '../../shared/triage';
import { sharedColumns } from '../components/columns';
import { IdLink } from '../components/ShortId';
import { Time } from '../components/Time';
import { formatAgo } from '../format';
import { hrefFor, navigate } from '../routing';
import type { FilterOf } from '../stores/list';
import { useTurnsStore } from '../stores/turns';
import { BulkByFilter } from '../components/BulkByFilter';
import { ExportMenu } from '../components/ExportMenu';
import { ListView, type ListAction, type ListField, type PlainFilter } from './ListView';

const col = createColumnHelper<TurnListItem>();
const shared = sharedColumns<TurnListItem>();

const columns = (now: number) => [
  shared.status,
  col.accessor('id', {
    header: 'Turn',
    size: 160,
    cell: (c) => <IdLink id={c.getValue()} href={hrefFor({ view: 'turn', id: c.getValue() })} />,
  }),
  col.accessor('sessionKey', {
    header: 'Session',
    size: 160,
    cell: (c) => <span className="mono">{c.getValue()}</span>,
  }),
  col.accessor('channel', { header: 'Channel', size: 92 }),
  col.accessor('acceptedAt', { header: 'Accepted', size: 162, cell: (c) => <Time at={c.getValue()} now={now} /> }),
  col.accessor('updatedAt', { header: 'Updated', size: 110, cell: (c) => formatAgo(c.getValue(), now) }),
  shared.attempts,
  col.accessor('routeTo', { header: 'Reply to', size: 140 }),
  col.accessor('terminalReason', {
    header: 'Reason',
    size: 220,
    cell: (c) => {
      const v = c.getValue();
      return v ? plainStatus(v) : '';
    },
  }),
  col.accessor('replayOf', {
    header: 'Replay of',
    size: 168,
    cell: (c) => {
      const id = c.getValue();
      return id ? <IdLink id={id} href={hrefFor({ view: 'turn', id })} /> : '';
    },
  }),
  shared.stuckReason,
];

const fields: ListField<FilterOf<'listTurns'>>[] = [
  {
    key: 'search',
    label: 'Search',
    placeholder: 'Id, external id, session, text or error (3+ characters)',
    hint: '3 characters or more: any part of the id, external id, dedupe key, session key, message text or error. Fewer: the start of the id or session key.',
    search: true,
  },
  { key: 'sessionKey', label: 'Session', placeholder: 'Exact session key' },
  { key: 'channel', label: 'Channel', placeholder: 'e.g. telegram' },
];

const actions: ListAction<TurnListItem>[] = [
  { kind: 'replay', target: (t) => t.id },
  { kind: 'replay-as-new', target: (t) => t.id },
  { kind: 'abort', target: (t) => t.sessionKey },
];

const BY_FILTER = ['replay', 'replay-as-new', 'abort'] as const;

const byFilter = (filter: PlainFilter<'listTurns'>, order: 'asc' | 'desc') => (
  <>
    <BulkByFilter list="turns" filter={filter} actions={BY_FILTER} />
    <ExportMenu target={{ list: 'turns', filter, order }} />
  </>
);

const openTurn = (t: TurnListItem): void => navigate({ view: 'turn', id: t.id });

export function TurnsView() {
  return (
    <ListView
      name="turns"
      store={useTurnsStore}
      label="Turns"
      filterLabel="Turn filters"
      statuses={TURN_STATUSES}
      fields={fields}
      columns={columns}
      hidden={['routeTo', 'terminalReason', 'updatedAt', 'replayOf']}
      sortColumn="acceptedAt"
      actions={actions}
      timeLabel="Accepted"
      byFilter={byFilter}
      onOpen={openTurn}
      loadError="Could not load turns"
      emptyText="No turns match these filters."
    />
  );
}
