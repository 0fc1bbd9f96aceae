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
import { formatNumber, humanStatus, pad } from '../format';
import { TONE_HEX, toneOf } from './status-tones';

// The charts themselves (recharts and its d3 are most of the bundle): loaded by SeriesChart
// only once there is a series to draw, so the first paint never waits for them.

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

function tick(window: SeriesWindow): (t: number) => string {
  return (t) => {
    const d = new Date(t);
    const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
    return window === '7d' ? `${DAYS[d.getDay()]} ${pad(d.getHours())}h` : hm;
  };
}

export type Row = Record<string, number>;
export type PlotKind = 'entered' | 'open' | 'outbox';

const axis = { stroke: 'var(--muted)', fontSize: 11, tickLine: false } as const;
const MARGIN = { top: 8, right: 12, bottom: 0, left: -16 };

/** One panel's chart: turns entered per status, open turns, or outbox deliveries and failures. */
export default function SeriesPlot({ kind, data, window }: { kind: PlotKind; data: Row[]; window: SeriesWindow }) {
  const tooltip = {
    labelFormatter: (t: unknown) => new Date(Number(t)).toLocaleString(),
    formatter: (v: unknown, name: unknown) =>
      [typeof v === 'number' ? formatNumber(v) : String(v), humanStatus(String(name))] as [string, string],
    wrapperClassName: 'chart-tooltip',
    isAnimationActive: false,
  };
  // The grid and the axes of every panel (the charts take them as direct children).
  const frame = [
    <CartesianGrid key="grid" stroke="var(--grid)" vertical={false} />,
    <XAxis key="x" dataKey="t" tickFormatter={tick(window)} {...axis} minTickGap={24} />,
    <YAxis key="y" allowDecimals={false} {...axis} />,
  ];
  const legend = { formatter: (v: unknown) => humanStatus(String(v)), iconSize: 8, wrapperStyle: { fontSize: 12 } };
  return (
    <ResponsiveContainer width="100%" height="100%" minWidth={0}>
      {kind === 'entered' ? (
        <LineChart data={data} margin={MARGIN} accessibilityLayer={false}>
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
      ) : kind === 'open' ? (
        <AreaChart data={data} margin={MARGIN} accessibilityLayer={false}>
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
      ) : (
        <BarChart data={data} margin={MARGIN} accessibilityLayer={false}>
          {frame}
          <Tooltip {...tooltip} cursor={{ fill: 'var(--hover)' }} />
          <Legend {...legend} />
          {OUTBOX_STATUSES.filter((s) => s !== 'queued').map((s) => (
            <Bar key={s} dataKey={s} stackId="out" fill={TONE_HEX[toneOf(s)]} isAnimationActive={false} />
          ))}
        </BarChart>
      )}
    </ResponsiveContainer>
  );
}
