import { useMemo, type ReactElement } from 'react';
import {
  Area,
  AreaChart,
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { SeriesWindow } from '../../shared/api';
import { OUTBOX_STATUSES, TURN_ACTIVE_STATUSES, TURN_STATUSES } from '../../shared/types';
import type { SeriesPoint } from '../../shared/views';
import { humanStatus, pad } from '../format';
import { TONE_HEX, toneOf } from './status-tones';

const WINDOWS: { key: SeriesWindow; label: string }[] = [
  { key: '1h', label: '1 h' },
  { key: '24h', label: '24 h' },
  { key: '7d', label: '7 d' },
];

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

function tick(window: SeriesWindow): (t: number) => string {
  return (t) => {
    const d = new Date(t);
    const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
    return window === '7d' ? `${DAYS[d.getDay()]} ${pad(d.getHours())}h` : hm;
  };
}

type Row = Record<string, number>;

export interface SeriesChartProps {
  /** Null while loading: the panels keep their place, the charts (costly to mount) come with the data. */
  series: SeriesPoint[] | null;
  window: SeriesWindow;
  onWindowChange(window: SeriesWindow): void;
}

const axis = { stroke: 'var(--muted)', fontSize: 11, tickLine: false } as const;
const MARGIN = { top: 8, right: 12, bottom: 0, left: -16 };

function Panel({ title, children, summary }: { title: string; summary: string; children: ReactElement | null }) {
  return (
    <figure className="chart-panel">
      <figcaption>
        <span className="chart-title">{title}</span>
        <span className="muted">{summary}</span>
      </figcaption>
      <div className="chart-box">
        {children ? (
          <ResponsiveContainer width="100%" height="100%" minWidth={0}>
            {children}
          </ResponsiveContainer>
        ) : (
          <p className="chart-loading muted">Loading…</p>
        )}
      </div>
    </figure>
  );
}

/** Turns entered per status, open turns, and outbox deliveries/failures over a window. */
export function SeriesChart({ series, window, onWindowChange }: SeriesChartProps) {
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
  const fmt = tick(window);
  const lastOpen = open.at(-1);
  const openNow = lastOpen ? TURN_ACTIVE_STATUSES.reduce((n, s) => n + (lastOpen[s] ?? 0), 0) : 0;
  const tooltip = {
    labelFormatter: (t: unknown) => new Date(Number(t)).toLocaleString(),
    formatter: (v: unknown, name: unknown) => [String(v), humanStatus(String(name))] as [string, string],
    wrapperClassName: 'chart-tooltip',
    isAnimationActive: false,
  };
  // The grid and the axes of every panel (the charts take them as direct children).
  const frame = [
    <CartesianGrid key="grid" stroke="var(--grid)" vertical={false} />,
    <XAxis key="x" dataKey="t" tickFormatter={fmt} {...axis} minTickGap={24} />,
    <YAxis key="y" allowDecimals={false} {...axis} />,
  ];
  const legend = { formatter: (v: unknown) => humanStatus(String(v)), iconSize: 8, wrapperStyle: { fontSize: 12 } };

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
        <Panel title="Turns entered per status" summary={series ? `${totals.accepted} new` : ''}>
          {series && (
            <LineChart data={entered} margin={MARGIN}>
              {frame}
              <Tooltip {...tooltip} />
              <Legend {...legend} />
              {TURN_STATUSES.map((s) => (
                <Line
                  key={s}
                  type="monotone"
                  dataKey={s}
                  stroke={TONE_HEX[toneOf(s)]}
                  strokeWidth={1.8}
                  dot={false}
                  isAnimationActive={false}
                />
              ))}
            </LineChart>
          )}
        </Panel>
        <Panel title="Open turns" summary={series ? `${openNow} now` : ''}>
          {series && (
            <AreaChart data={open} margin={MARGIN}>
              {frame}
              <Tooltip {...tooltip} />
              <Legend {...legend} />
              {TURN_ACTIVE_STATUSES.map((s) => (
                <Area
                  key={s}
                  type="monotone"
                  dataKey={s}
                  stackId="open"
                  stroke={TONE_HEX[toneOf(s)]}
                  fill={TONE_HEX[toneOf(s)]}
                  fillOpacity={0.35}
                  isAnimationActive={false}
                />
              ))}
            </AreaChart>
          )}
        </Panel>
        <Panel
          title="Deliveries and failures"
          summary={series ? `${totals.delivered} delivered, ${totals.failed} failed` : ''}
        >
          {series && (
            <BarChart data={outbox} margin={MARGIN}>
              {frame}
              <Tooltip {...tooltip} cursor={{ fill: 'var(--hover)' }} />
              <Legend {...legend} />
              {OUTBOX_STATUSES.filter((s) => s !== 'queued').map((s) => (
                <Bar key={s} dataKey={s} stackId="out" fill={TONE_HEX[toneOf(s)]} isAnimationActive={false} />
              ))}
            </BarChart>
          )}
        </Panel>
      </div>
    </section>
  );
}
