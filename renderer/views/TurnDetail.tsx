import { useEffect, type ReactNode } from 'react';
import { isOutboxPending, isTurnTerminal, type Turn } from '../../shared/types';
import type { OutboxListItem } from '../../shared/views';
import { ActionHint } from '../components/Banners';
import { Payload } from '../components/Payload';
import { StatusBadge } from '../components/StatusBadge';
import { Timeline } from '../components/Timeline';
import { formatAgo, formatRelative, formatTime } from '../format';
import { useNow } from '../hooks';
import { hrefFor } from '../routing';
import { useActionsStore } from '../stores/actions';
import { useDetailStore } from '../stores/detail';
import { selectWriteBlock, useStatusStore } from '../stores/status';

function Field({ label, children, mono }: { label: string; children: ReactNode; mono?: boolean }) {
  return (
    <div className="field-row">
      <dt>{label}</dt>
      <dd className={mono ? 'mono' : undefined}>{children ?? <span className="muted">—</span>}</dd>
    </div>
  );
}

function TurnFields({ turn, now }: { turn: Turn; now: number }) {
  const route = [turn.routeChannel, turn.routeTo].filter(Boolean).join(' → ');
  return (
    <dl className="fields">
      <Field label="Session" mono>
        {turn.sessionKey}
      </Field>
      <Field label="Channel">{[turn.channel, turn.accountId].filter(Boolean).join(' / ')}</Field>
      <Field label="Reply route">{route || null}</Field>
      <Field label="Thread / reply to" mono>
        {[turn.routeThreadId, turn.routeReplyToId].filter(Boolean).join(' / ') || null}
      </Field>
      <Field label="External id" mono>
        {turn.externalId}
      </Field>
      <Field label="Dedupe key" mono>
        {turn.dedupeKey}
      </Field>
      <Field label="Accepted">
        {formatTime(turn.acceptedAt)} <span className="muted">({formatAgo(turn.acceptedAt, now)})</span>
      </Field>
      <Field label="Updated">
        {formatTime(turn.updatedAt)} <span className="muted">({formatAgo(turn.updatedAt, now)})</span>
      </Field>
      <Field label="Attempts">{String(turn.attemptCount)}</Field>
      <Field label="Next attempt">
        {isTurnTerminal(turn.status)
          ? null
          : `${formatTime(turn.nextAttemptAt)} (${formatRelative(turn.nextAttemptAt, now)})`}
      </Field>
      <Field label="Completed">{turn.completedAt ? formatTime(turn.completedAt) : null}</Field>
      <Field label="Reason">{turn.terminalReason}</Field>
      <Field label="Held by" mono>
        {turn.claimOwner && turn.claimExpiresAt && turn.claimExpiresAt > now
          ? `${turn.claimOwner} (${formatRelative(turn.claimExpiresAt, now).replace(/^in /, 'for ')})`
          : null}
      </Field>
    </dl>
  );
}

function OutboxRows({ rows, now, writeBlock }: { rows: OutboxListItem[]; now: number; writeBlock: string | null }) {
  const request = useActionsStore((a) => a.request);
  if (rows.length === 0) return <p className="muted">No outbox rows for this turn.</p>;
  return (
    <div className="table-scroll static rows-table">
      <table aria-label="Outbox rows of this turn">
        <thead>
          <tr>
            <th scope="col">Status</th>
            <th scope="col">Row</th>
            <th scope="col">Kind</th>
            <th scope="col">Target</th>
            <th scope="col">Queued</th>
            <th scope="col">Attempts</th>
            <th scope="col">Last error / reason</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => {
            const pending = isOutboxPending(r.status);
            return (
              <tr key={r.id} data-row-id={r.id}>
                <td>
                  <StatusBadge status={r.status} />
                </td>
                <td className="mono">{r.id}</td>
                <td data-label="kind">{r.dispatchKind ?? 'direct'}</td>
                <td data-label="to">{[r.channel, r.target].filter(Boolean).join(' → ')}</td>
                <td data-label="queued">
                  <time title={formatTime(r.queuedAt)}>{formatAgo(r.queuedAt, now)}</time>
                </td>
                <td className="num" data-label="attempts">
                  {r.attemptCount}
                </td>
                <td className="wrap">
                  {r.stuckReason ? (
                    <span className="stuck-reason">{r.stuckReason}</span>
                  ) : (
                    [r.terminalReason, r.lastError && `last error ${r.lastError}`].filter(Boolean).join(' · ')
                  )}
                </td>
                <td className="row-actions">
                  <button
                    type="button"
                    className="btn btn-small"
                    disabled={writeBlock !== null || !pending}
                    title={
                      writeBlock ??
                      (pending ? undefined : `Row is ${r.status}: only queued or retrying rows can be retried`)
                    }
                    aria-describedby={writeBlock ? 'detail-action-hint' : undefined}
                    onClick={() => request({ kind: 'retry', targets: [r.id] })}
                  >
                    Retry now
                  </button>
                  <button
                    type="button"
                    className="btn btn-small btn-danger-outline"
                    disabled={writeBlock !== null || !pending}
                    title={
                      writeBlock ??
                      (pending ? undefined : `Row is ${r.status}: only queued or retrying rows can be terminated`)
                    }
                    aria-describedby={writeBlock ? 'detail-action-hint' : undefined}
                    onClick={() => request({ kind: 'terminate', targets: [r.id] })}
                  >
                    Terminate
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

export function TurnDetailView({ id }: { id: string }) {
  const { detail, error, loading } = useDetailStore();
  const request = useActionsStore((a) => a.request);
  const writeBlock = useStatusStore(selectWriteBlock);
  const now = useNow();

  useEffect(() => {
    void useDetailStore.getState().open(id);
  }, [id]);
  useEffect(() => () => useDetailStore.getState().close(), []);

  if (error && (!detail || detail.turn.id !== id)) {
    return (
      <div className="view">
        <div className="notice notice-error" role="alert">
          Could not load turn {id}: {error}
        </div>
        <a href={hrefFor({ view: 'turns' })}>Back to turns</a>
      </div>
    );
  }
  if (!detail || detail.turn.id !== id) {
    return <div className="view">{loading ? <p className="muted">Loading turn {id}…</p> : null}</div>;
  }
  const { turn, stuckReason, outbox, history } = detail;
  const terminal = isTurnTerminal(turn.status);
  const stuckRows = outbox.filter((r) => r.stuckReason).length;
  // What the turn answers (or tried to): its latest final reply.
  const reply = [...outbox].reverse().find((r) => r.dispatchKind === null || r.dispatchKind === 'final');

  return (
    <div className="view view-detail">
      <header className="detail-head">
        <div className="detail-title">
          <a className="back" href={hrefFor({ view: 'turns' })}>
            ← Turns
          </a>
          <h2 className="mono">{turn.id}</h2>
          <StatusBadge status={turn.status} />
        </div>
        <div className="detail-actions">
          <ActionHint id="detail-action-hint" reason={writeBlock} />
          <button
            type="button"
            className="btn"
            disabled={writeBlock !== null || terminal}
            title={
              writeBlock ??
              (terminal
                ? `Turn is ${turn.status}: a terminal turn never changes again`
                : 'Re-arm this turn for the recovery worker')
            }
            aria-describedby={writeBlock ? 'detail-action-hint' : undefined}
            onClick={() => request({ kind: 'replay', targets: [turn.id] })}
          >
            Replay turn
          </button>
          <button
            type="button"
            className="btn btn-danger-outline"
            disabled={writeBlock !== null}
            title={writeBlock ?? `Abort every open turn of session ${turn.sessionKey}`}
            aria-describedby={writeBlock ? 'detail-action-hint' : undefined}
            onClick={() => request({ kind: 'abort', targets: [turn.sessionKey] })}
          >
            Abort session
          </button>
        </div>
      </header>
      {error && (
        <div className="notice notice-error" role="alert">
          Refresh failed: {error}
        </div>
      )}
      {stuckReason ? (
        <div className="notice notice-warn stuck-callout" data-testid="stuck-reason">
          <strong>Why it is stuck:</strong> {stuckReason}
        </div>
      ) : (
        <div className="notice notice-ok" data-testid="stuck-reason">
          {terminal
            ? `Finished: ${turn.status.replace(/_/g, ' ')}${turn.terminalReason ? ` (${turn.terminalReason})` : ''}.`
            : stuckRows
              ? `Not stuck yet; ${stuckRows === 1 ? '1 outbox row is' : `${stuckRows} outbox rows are`} (see below).`
              : 'Not stuck.'}
        </div>
      )}
      <div className="detail-grid">
        <section className="card" aria-labelledby="fields-title">
          <h3 id="fields-title">Turn</h3>
          <TurnFields turn={turn} now={now} />
        </section>
        <section className="card" aria-labelledby="payload-title">
          <h3 id="payload-title">Messages</h3>
          <Payload text={turn.payload} label="Inbound message" />
          {reply && (
            <Payload text={reply.payload} label={`Final reply (${reply.id}, ${reply.status.replace(/_/g, ' ')})`} />
          )}
        </section>
      </div>
      <section className="card" aria-labelledby="rows-title">
        <h3 id="rows-title">Outbox rows ({outbox.length})</h3>
        <OutboxRows rows={outbox} now={now} writeBlock={writeBlock} />
      </section>
      <section className="card" aria-labelledby="timeline-title">
        <h3 id="timeline-title">Timeline</h3>
        <Timeline entries={history} />
      </section>
    </div>
  );
}
