import {
  OUTBOX_PENDING_STATUSES,
  OUTBOX_STATUSES,
  TURN_ACTIVE_STATUSES,
  TURN_STATUSES,
  type OutboxStatus,
  type TurnStatus,
} from '../../shared/types';
import { ChannelsCard } from '../channels-shell';
import { ActionButton } from '../components/ActionButton';
import { ActionHint, ErrorNotice } from '../components/Banners';
import { CountsGrid, type CountItem } from '../components/CountsGrid';
import { SeriesChart } from '../components/SeriesChart';
import { StatusBadge } from '../components/StatusBadge';
import { IdLink, ShortId } from '../components/ShortId';
import { StuckList } from '../components/StuckList';
import { WorkersCard } from '../components/WorkersCard';
import { formatDuration } from '../../shared/stuck';
import { DEFAULT_ATTENTION_WINDOW_MS } from '../../shared/triage';
import { formatAgo } from '../format';
import { useNow, useWhileShown } from '../hooks';
import { hrefFor } from '../routing';
import { ACTIONS, useActionsStore } from '../stores/actions';
import { serverNow, useLivenessStore } from '../stores/liveness';
import { selectWriteBlock, useStatusStore, type StatusState } from '../stores/status';

/** Each "Needs attention" card opens its list filtered to what it counts (a link: new tabs too). */
function attentionHref(key: string): string {
  if (key === 'stuckTurns') return hrefFor({ view: 'turns', filter: { stuck: true } });
  if (key === 'stuckOutbox') return hrefFor({ view: 'outbox', filter: { stuck: true } });
  if (key === 'deadTurns') return hrefFor({ view: 'turns', filter: { dead: true } });
  if (key === 'deadOutbox') return hrefFor({ view: 'outbox', filter: { dead: true } });
  if (key === 'openTurns') return hrefFor({ view: 'turns', filter: { status: [...TURN_ACTIVE_STATUSES] } });
  return hrefFor({ view: 'outbox', filter: { status: [...OUTBOX_PENDING_STATUSES] } });
}

const show = (s: StatusState): Promise<void> => s.show();

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
          {/* A quiet button in the card: the dialog says that it cannot be undone. */}
          <ActionButton
            small
            label={ACTIONS.prune.label}
            blocked={writeBlock}
            title="Delete finished turns and done rows past the retention window now, instead of at the next pass"
            hintId="prune-hint"
            onClick={() => request({ kind: 'prune', targets: [] })}
          />
          <ActionHint id="prune-hint" reason={writeBlock} />
        </>
      }
    />
  );
}

export function OverviewView() {
  const { counts, stuckTurns, stuckRows, series, window, setWindow, error } = useStatusStore();
  const attention = useStatusStore((s) => s.info?.attentionWindowMs ?? DEFAULT_ATTENTION_WINDOW_MS);
  const now = useNow();

  useWhileShown(useStatusStore, show);

  const turns = counts?.turns;
  const outbox = counts?.outbox;
  const openTurns = turns ? TURN_ACTIVE_STATUSES.reduce((n, s) => n + turns[s], 0) : null;
  const pendingSends = outbox ? OUTBOX_PENDING_STATUSES.reduce((n, s) => n + outbox[s], 0) : null;
  const sum = (r: Record<string, number> | undefined, other?: Record<string, number>): number | null =>
    r ? [...Object.values(r), ...Object.values(other ?? {})].reduce((a, b) => a + b, 0) : null;

  return (
    <div className="view view-overview">
      {error && <ErrorNotice>{error}</ErrorNotice>}
      <CountsGrid
        id="attention"
        title="Needs attention"
        columns={6}
        hrefOf={attentionHref}
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
          {
            key: 'deadTurns',
            label: 'Turns failed for good',
            value: counts?.deadTurns ?? null,
            tone: counts?.deadTurns ? 'red' : 'green',
            hint: `last ${formatDuration(attention)}, not replayed as new`,
          },
          {
            key: 'deadOutbox',
            label: 'Sends failed for good',
            value: counts?.deadOutbox ?? null,
            tone: counts?.deadOutbox ? 'red' : 'green',
            hint: `last ${formatDuration(attention)}, not resent`,
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
          hrefOf={(s) => hrefFor({ view: 'turns', filter: { status: [s as TurnStatus] } })}
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
          hrefOf={(s) => hrefFor({ view: 'outbox', filter: { status: [s as OutboxStatus] } })}
          items={[
            ...OUTBOX_STATUSES.map((s) => ({ key: s, value: outbox?.[s] ?? null })),
            ...otherItems(counts?.otherOutbox),
          ]}
        />
      </div>
      <ChannelsCard />
      <SeriesChart series={series} window={window} onWindowChange={(w) => void setWindow(w)} />
      <div className="stuck-lists">
        <StuckList
          id="stuck-turns"
          title="Stuck turns"
          all={{ label: 'All stuck turns', href: hrefFor({ view: 'turns', filter: { stuck: true } }) }}
          items={stuckTurns}
          itemAttr="data-turn-id"
          line={(t) => (
            <>
              <StatusBadge status={t.status} />
              <IdLink id={t.id} href={hrefFor({ view: 'turn', id: t.id })} />
              <span className="muted mono">{t.sessionKey}</span>
              <span className="muted push">{formatAgo(t.updatedAt, now)}</span>
            </>
          )}
        />
        <StuckList
          id="stuck-rows"
          title="Stuck outbox rows"
          all={{ label: 'All stuck rows', href: hrefFor({ view: 'outbox', filter: { stuck: true } }) }}
          items={stuckRows}
          itemAttr="data-row-id"
          line={(r) => (
            <>
              <StatusBadge status={r.status} />
              <ShortId id={r.id} />
              {r.turnId && <IdLink id={r.turnId} prefix="turn " href={hrefFor({ view: 'turn', id: r.turnId })} />}
              <span className="muted push">{r.channel}</span>
            </>
          )}
        />
      </div>
    </div>
  );
}
