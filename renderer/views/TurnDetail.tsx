import { useEffect, type ReactNode } from 'react';
import { plainStatus, whyNot, type BulkAction } from '../../shared/triage';
import { isTurnTerminal, type Turn } from '../../shared/types';
import type { OutboxListItem } from '../../shared/views';
import { ActionButton } from '../components/ActionButton';
import { ActionHint, ErrorNotice } from '../components/Banners';
import { Payload } from '../components/Payload';
import { CopyButton } from '../components/CopyButton';
import { IdLink, ShortId } from '../components/ShortId';
import { StaticTable } from '../components/StaticTable';
import { StatusBadge } from '../components/StatusBadge';
import { NONE } from '../components/Time';
import { Timeline } from '../components/Timeline';
import { formatAgo, formatNumber, formatRelative, formatTime, humanStatus, shortId } from '../format';
import { useNow } from '../hooks';
import { hrefFor } from '../routing';
import { ACTIONS, useActionsStore } from '../stores/actions';
import { useDetailStore } from '../stores/detail';
import { viewHref } from '../url-state';
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
      <Field label="Attempts">{formatNumber(turn.attemptCount)}</Field>
      <Field label="Next attempt">
        {isTurnTerminal(turn.status)
          ? null
          : `${formatTime(turn.nextAttemptAt)} (${formatRelative(turn.nextAttemptAt, now)})`}
      </Field>
      <Field label="Completed">{turn.completedAt ? formatTime(turn.completedAt) : null}</Field>
      <Field label="Reason">{turn.terminalReason && plainStatus(turn.terminalReason)}</Field>
      <Field label="Held by" mono>
        {turn.claimOwner && turn.claimExpiresAt && turn.claimExpiresAt > now
          ? `${turn.claimOwner} (${formatRelative(turn.claimExpiresAt, now).replace(/^in /, 'for ')})`
          : null}
      </Field>
    </dl>
  );
}

/** A row's actions, each offered only to a row that can take it (shared/triage.ts `whyNot`). */
const ROW_ACTIONS = ['retry', 'resend', 'terminate'] as const;

/** Why a row cannot take `kind` here, beyond its status: what the page knows of its turn and resends. */
function rowWhyNot(
  kind: (typeof ROW_ACTIONS)[number],
  r: OutboxListItem,
  turn: Turn,
  resentAs: ReadonlyMap<string, string[]>,
): string | null {
  const why = whyNot(kind, r);
  if (why || kind !== 'resend') return why;
  // SPEC: nothing of an aborted turn is sent after the abort (the server refuses it too).
  if (r.turnId === turn.id && turn.status === 'aborted') return 'Its turn was aborted: nothing of it is sent again.';
  const already = resentAs.get(r.id);
  return already?.length
    ? `Already resent as ${already.map((id) => shortId(id)).join(', ')}: asking again finds that send.`
    : null;
}

/** Each row's resends (their resendOf), among the rows of the page. */
function resendsOf(rows: readonly OutboxListItem[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of rows) if (r.resendOf) out.set(r.resendOf, [...(out.get(r.resendOf) ?? []), r.id]);
  return out;
}

/**
 * The actions this row can take, as buttons (a row has at most two: retry and terminate while it
 * is waiting, resend once it failed for good); the others are left out, and a row that can take
 * none says why in its tooltip. Disabled buttons for all three did not fit beside the row.
 */
function RowActions({
  row,
  turn,
  resentAs,
  writeBlock,
}: {
  row: OutboxListItem;
  turn: Turn;
  resentAs: ReadonlyMap<string, string[]>;
  writeBlock: string | null;
}) {
  const request = useActionsStore((a) => a.request);
  const why = ROW_ACTIONS.map((kind) => ({ kind, why: rowWhyNot(kind, row, turn, resentAs) }));
  const offered = why.filter((w) => w.why === null);
  if (offered.length === 0) {
    return (
      <span className="muted no-action" title={why.map((w) => `${ACTIONS[w.kind].label}: ${w.why}`).join('\n')}>
        no action
      </span>
    );
  }
  return (
    <>
      {offered.map(({ kind }) => (
        <ActionButton
          key={kind}
          small
          danger={ACTIONS[kind].irreversible}
          label={ACTIONS[kind].label}
          blocked={writeBlock}
          hintId={HINT_ID}
          onClick={() => request({ kind, targets: [row.id], turnOf: { [row.id]: turn.id } })}
        />
      ))}
    </>
  );
}

function OutboxRows({
  rows,
  turn,
  now,
  writeBlock,
}: {
  rows: OutboxListItem[];
  turn: Turn;
  now: number;
  writeBlock: string | null;
}) {
  if (rows.length === 0) return <p className="muted">No outbox rows for this turn.</p>;
  const resentAs = resendsOf(rows);
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
      {rows.map((r) => (
        <tr key={r.id} data-row-id={r.id} className={r.resendOf ? 'resend-row' : undefined}>
          <td>
            <StatusBadge status={r.status} />
          </td>
          <td>
            <ShortId id={r.id} />
            {r.resendOf && (
              <span className="row-link" data-testid="resend-of">
                Resend of <ShortId id={r.resendOf} />
              </span>
            )}
            {resentAs.get(r.id)?.map((id) => (
              <span key={id} className="row-link" data-testid="resent-as">
                Resent as <ShortId id={id} />
              </span>
            ))}
          </td>
          <td data-label="kind">{r.dispatchKind ?? 'direct'}</td>
          <td data-label="to">{[r.channel, r.target].filter(Boolean).join(' → ')}</td>
          <td data-label="queued">
            <time title={formatTime(r.queuedAt)}>{formatAgo(r.queuedAt, now)}</time>
          </td>
          <td className="num" data-label="attempts">
            {formatNumber(r.attemptCount)}
          </td>
          <td className="wrap">
            {r.stuckReason ? (
              <span className="stuck-reason">{r.stuckReason}</span>
            ) : (
              [
                r.terminalReason && plainStatus(r.terminalReason),
                r.lastError && r.lastError !== r.terminalReason && `last error ${r.lastError}`,
              ]
                .filter(Boolean)
                .join(' · ')
            )}
          </td>
          <td className="row-actions">
            <RowActions row={r} turn={turn} resentAs={resentAs} writeBlock={writeBlock} />
          </td>
        </tr>
      ))}
    </StaticTable>
  );
}

/** The turn's actions, and why each one that is disabled is (also as text: a tooltip is easy to miss). */
function TurnActions({
  turn,
  replayedAs,
  writeBlock,
}: {
  turn: Turn;
  replayedAs: string[];
  writeBlock: string | null;
}) {
  const request = useActionsStore((a) => a.request);
  const why = (kind: BulkAction): string | null => {
    const no = whyNot(kind, turn);
    if (no || kind !== 'replay-as-new' || replayedAs.length === 0) return no;
    return `Already replayed as new turn ${replayedAs.map((id) => shortId(id)).join(', ')}: asking again finds that turn.`;
  };
  const buttons = [
    { kind: 'replay', target: turn.id, title: 'Re-arm this turn for the recovery worker' },
    { kind: 'replay-as-new', target: turn.id, title: 'Make a new turn from this one: same session, message and route' },
    { kind: 'abort', target: turn.sessionKey, title: `Abort every open turn of session ${turn.sessionKey}` },
  ] as const;
  const disabled = writeBlock ? [] : buttons.flatMap((b) => (why(b.kind) ? [b.kind] : []));
  return (
    <div className="detail-actions-block">
      <div className="detail-actions">
        <ActionHint id={HINT_ID} reason={writeBlock} />
        {buttons.map((b) => (
          <ActionButton
            key={b.kind}
            danger={ACTIONS[b.kind].irreversible}
            label={ACTIONS[b.kind].label}
            blocked={writeBlock}
            unavailable={why(b.kind)}
            title={b.title}
            hintId={HINT_ID}
            onClick={() => request({ kind: b.kind, targets: [b.target] })}
          />
        ))}
      </div>
      {disabled.length > 0 && (
        <ul className="action-why" aria-label="Why some actions are disabled" data-testid="action-why">
          {disabled.map((kind) => (
            <li key={kind}>
              <strong>{ACTIONS[kind].label}:</strong> {why(kind)}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** "Replay of turn X" / "Replayed as new turn Y": the links between a turn and its replays as new. */
function TurnLinks({ turn, replayedAs }: { turn: Turn; replayedAs: string[] }) {
  if (!turn.replayOf && replayedAs.length === 0) return null;
  return (
    <div className="notice notice-info turn-links" data-testid="turn-links">
      {turn.replayOf && (
        <span>
          Replay of turn <IdLink id={turn.replayOf} href={hrefFor({ view: 'turn', id: turn.replayOf })} />
        </span>
      )}
      {replayedAs.map((id) => (
        <span key={id}>
          Replayed as new turn <IdLink id={id} href={hrefFor({ view: 'turn', id })} />
        </span>
      ))}
    </div>
  );
}

export function TurnDetailView({ id }: { id: string }) {
  const { detail, error, loading } = useDetailStore();
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
        <a href={viewHref('turns')}>Back to turns</a>
      </div>
    );
  }
  if (!detail || detail.turn.id !== id) {
    return <div className="view">{loading ? <p className="muted">Loading turn {id}…</p> : null}</div>;
  }
  const { turn, stuckReason, outbox, history } = detail;
  const replayedAs = detail.replayedAs ?? [];
  const terminal = isTurnTerminal(turn.status);
  const stuckRows = outbox.filter((r) => r.stuckReason).length;
  // What the turn answers (or tried to): its latest final reply.
  const reply = [...outbox].reverse().find((r) => r.dispatchKind === null || r.dispatchKind === 'final');

  return (
    <div className="view view-detail">
      <header className="detail-head">
        <div className="detail-title">
          <a className="back" href={viewHref('turns')}>
            ← Turns
          </a>
          {/* The page's own id is shown whole: this is where a person reads or copies it. */}
          <h2 className="mono">{turn.id}</h2>
          <CopyButton text={turn.id} />
          <StatusBadge status={turn.status} />
        </div>
        <TurnActions turn={turn} replayedAs={replayedAs} writeBlock={writeBlock} />
      </header>
      {error && <ErrorNotice>Refresh failed: {error}</ErrorNotice>}
      {stuckReason && terminal ? (
        // Failed for good recently: the server says what happened ("Failed for good: … after 5 attempts").
        <div className="notice notice-error stuck-callout" data-testid="stuck-reason">
          <strong>Needs attention:</strong> {stuckReason}
        </div>
      ) : stuckReason ? (
        <div className="notice notice-warn stuck-callout" data-testid="stuck-reason">
          <strong>Why it is stuck:</strong> {stuckReason}
        </div>
      ) : (
        <div
          className={`notice ${turn.status === 'failed_terminal' ? 'notice-error' : turn.status === 'aborted' ? 'notice-info' : 'notice-ok'}`}
          data-testid="stuck-reason"
        >
          {terminal
            ? `Finished: ${plainStatus(turn.status)}${turn.terminalReason ? ` (${plainStatus(turn.terminalReason)})` : ''}.`
            : stuckRows
              ? `The turn is not stuck yet, but ${stuckRows === 1 ? '1 of its outbox rows is' : `${formatNumber(stuckRows)} of its outbox rows are`} (see below).`
              : 'Not stuck.'}
        </div>
      )}
      <TurnLinks turn={turn} replayedAs={replayedAs} />
      <div className="detail-grid">
        <section className="card" aria-labelledby="fields-title">
          <h3 id="fields-title">Turn</h3>
          <TurnFields turn={turn} now={now} />
        </section>
        <section className="card" aria-labelledby="payload-title">
          <h3 id="payload-title">Messages</h3>
          <Payload text={turn.payload} label="Inbound message" />
          {reply && (
            <Payload text={reply.payload} label={`Final reply (${shortId(reply.id)}, ${humanStatus(reply.status)})`} />
          )}
        </section>
      </div>
      <section className="card" aria-labelledby="rows-title">
        <h3 id="rows-title">Outbox rows ({outbox.length})</h3>
        <OutboxRows rows={outbox} turn={turn} now={now} writeBlock={writeBlock} />
      </section>
      <section className="card" aria-labelledby="timeline-title">
        <h3 id="timeline-title">Timeline</h3>
        <Timeline
          entries={history}
          nextAttempt={(rowId) => {
            const r = outbox.find((x) => x.id === rowId);
            return r && r.status === 'failed_retryable' ? r.nextAttemptAt : null;
          }}
        />
      </section>
    </div>
  );
}
