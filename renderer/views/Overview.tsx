import { useEffect } from 'react';
import {
  OUTBOX_PENDING_STATUSES,
  OUTBOX_STATUSES,
  TURN_ACTIVE_STATUSES,
  TURN_STATUSES,
  type OutboxStatus,
  type TurnStatus,
} from '../../shared/types';
import { ActionHint } from '../components/Banners';
import { CountsGrid, type CountItem } from '../components/CountsGrid';
import { SeriesChart } from '../components/SeriesChart';
import { StatusBadge } from '../components/StatusBadge';
import { WorkersCard } from '../components/WorkersCard';
import { formatAgo } from '../format';
import { useNow } from '../hooks';
import { hrefFor, navigate } from '../routing';
import { useActionsStore } from '../stores/actions';
import { serverNow, useLivenessStore } from '../stores/liveness';
import { useOutboxStore } from '../stores/outbox';
import { selectWriteBlock, useStatusStore } from '../stores/status';
import { useTurnsStore } from '../stores/turns';

function showTurns(patch: { status?: TurnStatus[]; stuck?: boolean }): void {
  useTurnsStore.setState({ filter: { order: 'desc', ...patch }, items: [], selection: {} });
  navigate({ view: 'turns' });
}

function showOutbox(patch: { status?: OutboxStatus[]; stuck?: boolean }): void {
  useOutboxStore.setState({ filter: { order: 'desc', ...patch }, items: [], selection: {} });
  navigate({ view: 'outbox' });
}

/** Statuses outside the SPEC's set, as cards that say so (no filter can select them). */
function otherItems(other: Record<string, number> | undefined): CountItem[] {
  return Object.entries(other ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, n]) => ({
      key: `other:${status}`,
      label: `other: ${status}`,
      value: n,
      tone: 'brown',
      hint: 'outside the SPEC',
      title: `"${status}" is not a status of the SPEC: some gateway wrote it. No filter selects it; search by id.`,
      inert: true,
      other: true,
    }));
}

/** The workers card ticks every second ("last pass 3 s ago"): only it re-renders that often. */
function RecoveryCard() {
  const writeBlock = useStatusStore(selectWriteBlock);
  const liveness = useLivenessStore();
  const request = useActionsStore((a) => a.request);
  const tick = useNow(1_000);
  return (
    <WorkersCard
      liveness={liveness.liveness}
      now={serverNow(liveness, tick)}
      error={liveness.error}
      footer={
        <>
          <button
            type="button"
            className="btn btn-small"
            disabled={writeBlock !== null}
            title={
              writeBlock ??
              'Delete finished turns and done rows past the retention window now, instead of at the next pass'
            }
            aria-describedby={writeBlock ? 'prune-hint' : undefined}
            onClick={() => request({ kind: 'prune', targets: [] })}
          >
            Prune now
          </button>
          <ActionHint id="prune-hint" reason={writeBlock} />
        </>
      }
    />
  );
}

export function OverviewView() {
  const { counts, stuckTurns, stuckRows, series, window, setWindow, error } = useStatusStore();
  const now = useNow();

  useEffect(() => {
    const st = useStatusStore.getState();
    st.setActive(true);
    void st.load();
    return () => useStatusStore.getState().setActive(false);
  }, []);

  const turns = counts?.turns;
  const outbox = counts?.outbox;
  const openTurns = turns ? TURN_ACTIVE_STATUSES.reduce((n, s) => n + turns[s], 0) : null;
  const pendingSends = outbox ? OUTBOX_PENDING_STATUSES.reduce((n, s) => n + outbox[s], 0) : null;
  const sum = (r: Record<string, number> | undefined, other?: Record<string, number>): number | null =>
    r ? [...Object.values(r), ...Object.values(other ?? {})].reduce((a, b) => a + b, 0) : null;

  return (
    <div className="view view-overview">
      {error && (
        <div className="notice notice-error" role="alert">
          {error}
        </div>
      )}
      <CountsGrid
        id="attention"
        title="Needs attention"
        columns={4}
        onSelect={(key) => {
          if (key === 'stuckTurns') showTurns({ stuck: true });
          else if (key === 'stuckOutbox') showOutbox({ stuck: true });
          else if (key === 'openTurns') showTurns({ status: [...TURN_ACTIVE_STATUSES] });
          else showOutbox({ status: [...OUTBOX_PENDING_STATUSES] });
        }}
        items={[
          {
            key: 'stuckTurns',
            label: 'Stuck turns',
            value: counts?.stuckTurns ?? null,
            tone: counts?.stuckTurns ? 'red' : 'green',
            hint: 'failed at least once or idle too long',
          },
          {
            key: 'stuckOutbox',
            label: 'Stuck sends',
            value: counts?.stuckOutbox ?? null,
            tone: counts?.stuckOutbox ? 'red' : 'green',
            hint: 'failed at least once or overdue',
          },
          { key: 'openTurns', label: 'Open turns', value: openTurns, tone: 'violet', hint: 'not finished yet' },
          {
            key: 'pendingSends',
            label: 'Pending sends',
            value: pendingSends,
            tone: 'blue',
            hint: 'queued or retrying',
          },
        ]}
      />
      <RecoveryCard />
      <div className="counts-row">
        <CountsGrid
          id="turns"
          title="Turns by status"
          columns={7}
          total={sum(turns, counts?.otherTurns)}
          onSelect={(s) => showTurns({ status: [s as TurnStatus] })}
          items={[
            ...TURN_STATUSES.map((s) => ({ key: s, value: turns?.[s] ?? null })),
            ...otherItems(counts?.otherTurns),
          ]}
        />
        <CountsGrid
          id="outbox"
          title="Outbox by status"
          columns={5}
          total={sum(outbox, counts?.otherOutbox)}
          onSelect={(s) => showOutbox({ status: [s as OutboxStatus] })}
          items={[
            ...OUTBOX_STATUSES.map((s) => ({ key: s, value: outbox?.[s] ?? null })),
            ...otherItems(counts?.otherOutbox),
          ]}
        />
      </div>
      <SeriesChart series={series} window={window} onWindowChange={(w) => void setWindow(w)} />
      <div className="stuck-lists">
        <section className="card" aria-labelledby="stuck-turns-title">
          <header className="section-head">
            <h2 id="stuck-turns-title">Stuck turns</h2>
            <a href={hrefFor({ view: 'turns' })} onClick={(e) => (e.preventDefault(), showTurns({ stuck: true }))}>
              All stuck turns
            </a>
          </header>
          {stuckTurns.length === 0 ? (
            <p className="muted empty-small">Nothing stuck.</p>
          ) : (
            <ul className="stuck-list" aria-label="Stuck turns">
              {stuckTurns.map((t) => (
                <li key={t.id} data-turn-id={t.id}>
                  <div className="stuck-line">
                    <StatusBadge status={t.status} />
                    <a className="mono" href={hrefFor({ view: 'turn', id: t.id })}>
                      {t.id}
                    </a>
                    <span className="muted mono">{t.sessionKey}</span>
                    <span className="muted push">{formatAgo(t.updatedAt, now)}</span>
                  </div>
                  <p className="stuck-reason">{t.stuckReason}</p>
                </li>
              ))}
            </ul>
          )}
        </section>
        <section className="card" aria-labelledby="stuck-rows-title">
          <header className="section-head">
            <h2 id="stuck-rows-title">Stuck outbox rows</h2>
            <a href={hrefFor({ view: 'outbox' })} onClick={(e) => (e.preventDefault(), showOutbox({ stuck: true }))}>
              All stuck rows
            </a>
          </header>
          {stuckRows.length === 0 ? (
            <p className="muted empty-small">Nothing stuck.</p>
          ) : (
            <ul className="stuck-list" aria-label="Stuck outbox rows">
              {stuckRows.map((r) => (
                <li key={r.id} data-row-id={r.id}>
                  <div className="stuck-line">
                    <StatusBadge status={r.status} />
                    <span className="mono">{r.id}</span>
                    {r.turnId && (
                      <a className="mono muted" href={hrefFor({ view: 'turn', id: r.turnId })}>
                        turn {r.turnId}
                      </a>
                    )}
                    <span className="muted push">{r.channel}</span>
                  </div>
                  <p className="stuck-reason">{r.stuckReason}</p>
                </li>
              ))}
            </ul>
          )}
        </section>
      </div>
    </div>
  );
}
