import { ErrorNotice } from '../components/Banners';
import { StaticTable } from '../components/StaticTable';
import { Time } from '../components/Time';
import { Transition } from '../components/Transition';
import { useNow, useWhileShown } from '../hooks';
import { hrefFor } from '../routing';
import { useAuditStore, type AuditState } from '../stores/audit';

const load = (s: AuditState): Promise<void> => s.load();

/** Every operator action: who did what, when (from the dashboard, the CLI or the API). */
export function AuditView() {
  const { entries, error, loading } = useAuditStore();
  const now = useNow();
  useWhileShown(useAuditStore, load);

  return (
    <div className="view">
      {error && <ErrorNotice>Could not load the audit trail: {error}</ErrorNotice>}
      <section className="card">
        <p className="muted intro">Operator actions, newest first ({entries.length}).</p>
        {entries.length === 0 && !loading ? (
          <p className="muted empty-small">No operator actions recorded yet.</p>
        ) : (
          <StaticTable label="Audit trail" headers={['Time', 'By', 'What', 'Change', 'Reason']}>
            {entries.map((e) => (
              <tr key={e.id}>
                <td>
                  <Time at={e.at} now={now} />
                </td>
                <td className="mono" data-label="by">
                  {e.by ?? ''}
                </td>
                <td>
                  {e.kind === 'action' ? (
                    'action'
                  ) : (
                    <>
                      {e.kind === 'turn' ? 'turn ' : 'row '}
                      {e.subjectId && e.subjectId !== e.entityId && e.kind === 'outbox' ? (
                        <>
                          <span className="mono">{e.entityId}</span> of{' '}
                          <a className="mono" href={hrefFor({ view: 'turn', id: e.subjectId })}>
                            {e.subjectId}
                          </a>
                        </>
                      ) : e.kind === 'turn' && e.entityId ? (
                        <a className="mono" href={hrefFor({ view: 'turn', id: e.entityId })}>
                          {e.entityId}
                        </a>
                      ) : (
                        <span className="mono">{e.entityId}</span>
                      )}
                    </>
                  )}
                </td>
                <td>
                  <Transition from={e.fromStatus} to={e.toStatus} />
                </td>
                <td className="wrap">{e.reason ?? ''}</td>
              </tr>
            ))}
          </StaticTable>
        )}
      </section>
    </div>
  );
}
