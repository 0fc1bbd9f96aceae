import { useEffect, type ReactNode } from 'react';
import { isOutboxPending, isTurnTerminal, type Turn } from '../../shared/types';
import type { OutboxListItem } from '../../shared/views';
import { ActionButton } from '../components/ActionButton';
import { ActionHint, ErrorNotice } from '../components/Banners';
import { Payload } from '../components/Payload';
import { StaticTable } from '../components/StaticTable';
import { StatusBadge } from '../components/StatusBadge';
import { NONE } from '../components/Time';
import { Timeline } from '../components/Timeline';
import { formatAgo, formatRelative, formatTime, humanStatus } from '../format';
import { useNow } from '../hooks';
import { hrefFor } from '../routing';
import { ACTIONS, useActionsStore } from '../stores/actions';
import { useDetailStore } from '../stores/detail';
import { selectWriteBlock, useStatusStore } from '../stores/status';

/** The hint that says why the actions of this page are disabled (read-only). */
const HINT_ID = 'detail-action-hint';

function Field({ label, children, mono }: { label: string; children: ReactNode; mono?: boolean }) {
  return (
    <div className="field-row">
      <dt>{label}</dt>
      <dd className={mono ? 'mono' : undefined}>{children ?? NONE}</dd>
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

/** A row's actions: only a queued or retrying row can still be retried or terminated. */
const ROW_ACTIONS = [
  { kind: 'retry', verb: 'retried' },
  { kind: 'terminate', verb: 'terminated' },
] as const;

function OutboxRows({ rows, now, writeBlock }: { rows: OutboxListItem[]; now: number; writeBlock: string | null }) {
  const request = useActionsStore((a) => a.request);
  if (rows.length === 0) return <p className="muted">No outbox rows for this turn.</p>;
  return (
    <StaticTable
      label="Outbox rows of this turn"
      headers={[
        'Status',
        'Row',
        'Kind',
        'Target',
        'Queued',
        'Attempts',
        'Last error / reason',
        <span className="sr-only">Actions</span>,
      ]}
    >
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
              {ROW_ACTIONS.map(({ kind, verb }) => (
                <ActionButton
                  key={kind}
                  small
                  danger={ACTIONS[kind].irreversible}
                  label={ACTIONS[kind].label}
                  blocked={writeBlock}
                  unavailable={pending ? null : `Row is ${r.status}: only queued or retrying rows can be ${verb}`}
                  hintId={HINT_ID}
                  onClick={() => request({ kind, targets: [r.id] })}
                />
              ))}
            </td>
          </tr>
        );
      })}
    </StaticTable>
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
        <ErrorNotice>
          Could not load turn {id}: {error}
        </ErrorNotice>
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
          <ActionHint id={HINT_ID} reason={writeBlock} />
          <ActionButton
            label={ACTIONS.replay.label}
            blocked={writeBlock}
            unavailable={terminal ? `Turn is ${turn.status}: a terminal turn never changes again` : null}
            title="Re-arm this turn for the recovery worker"
            hintId={HINT_ID}
            onClick={() => request({ kind: 'replay', targets: [turn.id] })}
          />
          <ActionButton
            danger={ACTIONS.abort.irreversible}
            label={ACTIONS.abort.label}
            blocked={writeBlock}
            title={`Abort every open turn of session ${turn.sessionKey}`}
            hintId={HINT_ID}
            onClick={() => request({ kind: 'abort', targets: [turn.sessionKey] })}
          />
        </div>
      </header>
      {error && <ErrorNotice>Refresh failed: {error}</ErrorNotice>}
      {stuckReason ? (
        <div className="notice notice-warn stuck-callout" data-testid="stuck-reason">
          <strong>Why it is stuck:</strong> {stuckReason}
        </div>
      ) : (
        <div className="notice notice-ok" data-testid="stuck-reason">
          {terminal
            ? `Finished: ${humanStatus(turn.status)}${turn.terminalReason ? ` (${turn.terminalReason})` : ''}.`
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
          {reply && <Payload text={reply.payload} label={`Final reply (${reply.id}, ${humanStatus(reply.status)})`} />}
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
