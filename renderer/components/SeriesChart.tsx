import { lazy, Suspense, useEffect, useMemo, useState } from 'react';
import type { SeriesWindow } from '../../shared/api';
import { TURN_ACTIVE_STATUSES } from '../../shared/types';
import type { SeriesPoint } from '../../shared/views';
import { formatNumber } from '../format';
import type { PlotKind, Row } from './SeriesPlots';
import { CHART_LAYERS, outOfTabOrder } from '../focus';

// The Activity section: its frame (title, window buttons, panel captions) is drawn at once; the
// charts come with the data, from a module evaluated only then (./SeriesPlots).

const SeriesPlot = lazy(() => import('./SeriesPlots'));

const WINDOWS: { key: SeriesWindow; label: string }[] = [
  { key: '1h', label: '1 h' },
  { key: '24h', label: '24 h' },
  { key: '7d', label: '7 d' },
];

export interface SeriesChartProps {
  /** Null while loading: the panels keep their place, the charts (costly to mount) come with the data. */
  series: SeriesPoint[] | null;
  window: SeriesWindow;
  onWindowChange(window: SeriesWindow): void;
}

const chartLayersOut = outOfTabOrder(CHART_LAYERS);
const LOADING = <p className="chart-loading muted">Loading…</p>;

function Panel(props: { title: string; summary: string; kind: PlotKind; data: Row[] | null; window: SeriesWindow }) {
  return (
    <figure className="chart-panel">
      <figcaption>
        <span className="chart-title">{props.title}</span>
        <span className="muted">{props.summary}</span>
      </figcaption>
      <div className="chart-box" ref={chartLayersOut}>
        {props.data ? (
          <Suspense fallback={LOADING}>
            <SeriesPlot kind={props.kind} data={props.data} window={props.window} />
          </Suspense>
        ) : (
          LOADING
        )}
      </div>
    </figure>
  );
}

/**
 * How many of `n` panels to mount: one more per task once data is there. Mounting a chart costs
 * tens of ms (hundreds on a busy machine); one at a time, a click in between is not held up.
 */
function useStaggered(n: number): number {
  const [shown, setShown] = useState(0);
  useEffect(() => {
    if (n === 0) setShown(0);
    else if (shown < n) {
      const t = setTimeout(() => setShown((k) => k + 1), 0);
      return () => clearTimeout(t);
    }
    return undefined;
  }, [n, shown]);
  return Math.min(shown, n);
}

/** Turns entered per status, open turns, and outbox deliveries/failures over a window. */
export function SeriesChart({ series, window, onWindowChange }: SeriesChartProps) {
  const shown = useStaggered(series ? 3 : 0);
  const { entered, open, outbox, totals } = useMemo(() => {
    const entered: Row[] = [];
    const open: Row[] = [];
    const outbox: Row[] = [];
    const totals = { accepted: 0, delivered: 0, failed: 0, sent: 0 };
    for (const p of series ?? []) {
      entered.push({ t: p.t, ...p.turnsEntered });
      open.push({ t: p.t, ...p.turnsOpen });
      outbox.push({ t: p.t, ...p.outboxEntered });
      totals.accepted += p.turnsEntered.accepted;
      totals.delivered += p.outboxEntered.delivered;
      totals.failed += p.outboxEntered.failed_retryable + p.outboxEntered.failed_terminal + p.outboxEntered.expired;
    }
    return { entered, open, outbox, totals };
  }, [series]);
  const lastOpen = open.at(-1);
  const openNow = lastOpen ? TURN_ACTIVE_STATUSES.reduce((n, s) => n + (lastOpen[s] ?? 0), 0) : 0;

  return (
    <section className="series" aria-labelledby="series-title">
      <header className="section-head">
        <h2 id="series-title">Activity</h2>
        <div className="segmented" role="group" aria-label="Time window">
          {WINDOWS.map((w) => (
            <button key={w.key} type="button" aria-pressed={window === w.key} onClick={() => onWindowChange(w.key)}>
              {w.label}
            </button>
          ))}
        </div>
      </header>
      <div className="chart-grid">
        <Panel
          title="Turns entered per status"
          summary={series ? `${formatNumber(totals.accepted)} new` : ''}
          kind="entered"
          data={shown > 0 ? entered : null}
          window={window}
        />
        <Panel
          title="Open turns"
          summary={series ? `${formatNumber(openNow)} now` : ''}
          kind="open"
          data={shown > 1 ? open : null}
          window={window}
        />
        <Panel
          title="Deliveries and failures"
          summary={series ? `${formatNumber(totals.delivered)} delivered, ${formatNumber(totals.failed)} failed` : ''}
          kind="outbox"
          data={shown > 2 ? outbox : null}
          window={window}
        />
      </div>
    </section>
  );
}
