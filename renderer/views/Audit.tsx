import { BULK_ACTIONS, plainStatus } from '../../shared/triage';
import type { HistoryEntry } from '../../shared/types';
import { ErrorNotice } from '../components/Banners';
import { ExportMenu } from '../components/ExportMenu';
import { DebouncedInput, SelectField } from '../components/FilterBar';
import { IdLink, ShortId } from '../components/ShortId';
import { StaticTable } from '../components/StaticTable';
import { Time } from '../components/Time';
import { DateTimeField } from '../components/TimeRange';
import { Transition } from '../components/Transition';
import { formatNumber } from '../format';
import { useNow, useWhileShown } from '../hooks';
import { hrefFor } from '../routing';
import { useAuditStore, type AuditFilterFields, type AuditState } from '../stores/audit';

const load = (s: AuditState): Promise<void> => s.load();

type ActionChoice = NonNullable<AuditFilterFields['action']> | '';

const ACTION_WORDS: Record<Exclude<ActionChoice, ''>, string> = {
  retry: 'Retry',
  resend: 'Resend',
  terminate: 'Terminate',
  replay: 'Replay',
  'replay-as-new': 'Replay as new turn',
  abort: 'Abort',
  prune: 'Prune',
  bulk: 'Bulk by filter',
};

const ACTION_OPTIONS: { value: ActionChoice; label: string }[] = [
  { value: '', label: 'Any action' },
  ...[...BULK_ACTIONS, 'prune' as const, 'bulk' as const].map((a) => ({ value: a, label: ACTION_WORDS[a] })),
];

/** A bare code (operator_terminated) in words; a sentence as written. */
function inWords(reason: string): string {
  return /^[a-z_]+$/.test(reason) ? plainStatus(reason) : reason;
}

function What({ e }: { e: HistoryEntry }) {
  if (e.kind === 'action') return <span className="wrap">{e.reason ?? 'action'}</span>;
  const subject =
    e.kind === 'outbox' && e.subjectId && e.subjectId !== e.entityId ? (
      <>
        row <ShortId id={e.entityId ?? ''} /> of{' '}
        <IdLink id={e.subjectId} href={hrefFor({ view: 'turn', id: e.subjectId })} />
      </>
    ) : e.kind === 'turn' && e.entityId ? (
      <>
        turn <IdLink id={e.entityId} href={hrefFor({ view: 'turn', id: e.entityId })} />
      </>
    ) : (
      <>
        row <ShortId id={e.entityId ?? ''} />
      </>
    );
  return (
    <>
      {subject}
      {e.reason && <span className="audit-system-reason muted small">{inWords(e.reason)}</span>}
    </>
  );
}

/** Every operator action: who did what, when and why (from the dashboard, the CLI or the API). */
export function AuditView() {
  const { entries, error, loading, loadingMore, nextCursor, filter } = useAuditStore();
  const setFilter = useAuditStore((s) => s.setFilter);
  const resetFilter = useAuditStore((s) => s.resetFilter);
  const loadMore = useAuditStore((s) => s.loadMore);
  const now = useNow();
  useWhileShown(useAuditStore, load);
  const filtered = Boolean(filter.by || filter.action || filter.since !== undefined || filter.until !== undefined);

  return (
    <div className="view">
      {error && <ErrorNotice>Could not load the audit trail: {error}</ErrorNotice>}
      <div className="filter-bar audit-filters" role="search" aria-label="Audit filters">
        <div className="filter-fields">
          <DebouncedInput
            label="Who"
            value={filter.by ?? ''}
            placeholder="e.g. alice"
            onCommit={(by) => setFilter({ by: by.trim() || undefined })}
          />
          <SelectField<ActionChoice>
            label="Action"
            value={filter.action ?? ''}
            options={ACTION_OPTIONS}
            onChange={(a) => setFilter({ action: a || undefined })}
          />
          <DateTimeField label="From" value={filter.since} onChange={(since) => setFilter({ since })} />
          <DateTimeField label="Until" value={filter.until} onChange={(until) => setFilter({ until })} />
          <button type="button" className="btn btn-ghost btn-small" onClick={resetFilter} disabled={!filtered}>
            Reset filters
          </button>
          <ExportMenu target={{ list: 'audit', filter }} />
        </div>
      </div>
      <section className="card">
        <p className="muted intro">
          Operator actions, newest first ({formatNumber(entries.length)}
          {nextCursor ? ' shown, more below' : ''}). A bulk action by filter is one entry.
        </p>
        {entries.length === 0 && !loading ? (
          <p className="muted empty-small">
            {filtered ? 'No operator actions match these filters.' : 'No operator actions recorded yet.'}
          </p>
        ) : (
          <div className="audit-table">
            <StaticTable label="Audit trail" headers={['Time', 'By', 'Action', 'What', 'Change', 'Reason']}>
              {entries.map((e) => (
                <tr key={e.id} data-action={e.action ?? undefined}>
                  <td className="nowrap">
                    <Time at={e.at} now={now} />
                  </td>
                  <td className="mono" data-label="by">
                    {e.by ?? ''}
                  </td>
                  <td className="nowrap">
                    {e.action ? (ACTION_WORDS[e.action as Exclude<ActionChoice, ''>] ?? e.action) : ''}
                  </td>
                  <td className="audit-what">
                    <What e={e} />
                  </td>
                  <td>
                    <Transition from={e.fromStatus} to={e.toStatus} />
                  </td>
                  <td className="wrap audit-note" data-label={e.note ? 'reason' : undefined}>
                    {e.note ?? ''}
                  </td>
                </tr>
              ))}
            </StaticTable>
          </div>
        )}
        {nextCursor && (
          <div className="load-more">
            <button type="button" className="btn" onClick={() => void loadMore()} disabled={loadingMore}>
              {loadingMore ? 'Loading…' : 'Load older entries'}
            </button>
          </div>
        )}
      </section>
    </div>
  );
}
