import { SERIES_WINDOWS, type SeriesWindow } from '../../shared/api-values';
import { DEFAULT_ATTENTION_WINDOW_MS, type ErrorGroup } from '../../shared/triage';
import { ErrorNotice } from '../components/Banners';
import { ErrorGroupsTable, type GroupAction } from '../components/ErrorGroupsTable';
import { SelectField } from '../components/FilterBar';
import { formatNumber } from '../format';
import { useNow, useWhileShown } from '../hooks';
import { useBulkStore } from '../stores/bulk';
import { groupFilter, groupMembersRoute, groupSince, useErrorsStore, type ErrorsState } from '../stores/errors';
import { hrefFor } from '../routing';
import { selectWriteBlock, useStatusStore } from '../stores/status';

const load = (s: ErrorsState): Promise<void> => s.load();

const SUBJECTS: { value: ErrorsState['subject']; label: string }[] = [
  { value: '', label: 'Sends and turns' },
  { value: 'outbox', label: 'Sends (outbox)' },
  { value: 'turn', label: 'Turns' },
];

const WINDOWS: { value: SeriesWindow; label: string }[] = [
  { value: '1h', label: 'Last hour' },
  { value: '24h', label: 'Last 24 hours' },
  { value: '7d', label: 'Last 7 days' },
];

function openGroupAction(group: ErrorGroup, action: GroupAction): void {
  const errors = useErrorsStore.getState();
  const target = groupFilter(group, groupSince(errors));
  // Dead letters as the group counts them: not stopped by a person, not resent or replayed yet.
  // That is the "failed for good" filter, which looks back over the attention window only.
  const attention = useStatusStore.getState().info?.attentionWindowMs ?? DEFAULT_ATTENTION_WINDOW_MS;
  const dead = (action === 'resend' || action === 'replay-as-new') && SERIES_WINDOWS[errors.window] <= attention;
  if (target.list === 'turns') {
    useBulkStore
      .getState()
      .open(
        { list: 'turns', filter: { ...target.filter, ...(dead ? { dead } : {}) }, actions: ['replay-as-new'] },
        'replay-as-new',
      );
  } else if (action !== 'replay-as-new') {
    useBulkStore
      .getState()
      .open({ list: 'outbox', filter: { ...target.filter, ...(dead ? { dead } : {}) }, actions: [action] }, action);
  }
}

/** Failures grouped by what went wrong: one outage is one line, and one action fixes it all. */
export function ErrorsView() {
  const { groups, channels, channel, subject, window, error, loading, loadedAt } = useErrorsStore();
  const setSubject = useErrorsStore((s) => s.setSubject);
  const setWindow = useErrorsStore((s) => s.setWindow);
  const setChannel = useErrorsStore((s) => s.setChannel);
  const blocked = useStatusStore(selectWriteBlock);
  const now = useNow();
  useWhileShown(useErrorsStore, load);
  const total = groups.reduce((n, g) => n + g.count, 0);
  const channelOptions = [{ value: '', label: 'All channels' }, ...channels.map((c) => ({ value: c, label: c }))];

  return (
    <div className="view">
      {error && <ErrorNotice>Could not load the error groups: {error}</ErrorNotice>}
      <div className="filter-bar" role="search" aria-label="Error group filters">
        <div className="filter-fields">
          <SelectField label="Window" value={window} options={WINDOWS} onChange={setWindow} />
          <SelectField label="Channel" value={channel} options={channelOptions} onChange={setChannel} />
          <SelectField label="Failures of" value={subject} options={SUBJECTS} onChange={setSubject} />
        </div>
      </div>
      <section className="card">
        <p className="muted intro">
          Failures of the {WINDOWS.find((w) => w.value === window)?.label.toLowerCase()}, grouped by their error with
          ids, numbers and quoted values taken out: {formatNumber(groups.length)}{' '}
          {groups.length === 1 ? 'group' : 'groups'}, {formatNumber(total)} failures. Work a person stopped (terminated,
          aborted) is not counted.
        </p>
        {groups.length === 0 ? (
          <p className="muted empty-small">{loading ? 'Grouping the failures…' : 'No failures in this window.'}</p>
        ) : (
          <ErrorGroupsTable
            groups={groups}
            now={now}
            blocked={blocked}
            onAction={openGroupAction}
            membersHref={(g) => hrefFor(groupMembersRoute(g, groupSince({ window, loadedAt })))}
          />
        )}
      </section>
    </div>
  );
}
