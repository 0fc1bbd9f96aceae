import { useEffect } from 'react';
import { Transition } from '../components/Transition';
import { formatAgo, formatTime } from '../format';
import { useNow } from '../hooks';
import { hrefFor } from '../routing';
import { useAuditStore } from '../stores/audit';

/** Every operator action: who did what, when (from the dashboard, the CLI or the API). */
export function AuditView() {
  const { entries, error, loading } = useAuditStore();
  const now = useNow();
  useEffect(() => {
    const st = useAuditStore.getState();
    st.setActive(true);
    void st.load();
    return () => useAuditStore.getState().setActive(false);
  }, []);

  return (
    <div className="view">
      {error && (
        <div className="notice notice-error" role="alert">
          Could not load the audit trail: {error}
        </div>
      )}
      <section className="card">
        <p className="muted intro">Operator actions, newest first ({entries.length}).</p>
        {entries.length === 0 && !loading ? (
          <p className="muted empty-small">No operator actions recorded yet.</p>
        ) : (
          <div className="table-scroll static rows-table">
            <table aria-label="Audit trail">
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">By</th>
                  <th scope="col">What</th>
                  <th scope="col">Change</th>
                  <th scope="col">Reason</th>
                </tr>
              </thead>
              <tbody>
                {entries.map((e) => (
                  <tr key={e.id}>
                    <td>
                      <time title={formatAgo(e.at, now)}>{formatTime(e.at)}</time>
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
              </tbody>
            </table>
          </div>
        )}
      </section>
    </div>
  );
}
