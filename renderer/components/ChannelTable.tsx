import { formatLatency, formatRate, latencyPrecisionText } from '../../shared/channel-format';
import type { ChannelStat, ChannelStats } from '../../shared/views';
import { formatNumber } from '../format';

export interface StuckLink {
  href: string;
  onOpen(): void;
}

export interface ChannelTableProps {
  stats: ChannelStats | null;
  /** "the last hour", "the last 24 hours" … */
  range: string;
  error: string | null;
  /** Where a stuck count leads: the Turns or Outbox view, filtered to the channel's stuck ones. */
  stuckLink(channel: string, kind: 'turns' | 'outbox'): StuckLink;
}

const channelName = (c: string): string => (c === '' ? '(no channel)' : c);

function StuckCount({ n, link, what }: { n: number; link: StuckLink; what: string }) {
  if (n === 0) return <>0</>;
  return (
    <a
      href={link.href}
      title={`Show the ${formatNumber(n)} ${what}`}
      onClick={(e) => {
        e.preventDefault();
        link.onOpen();
      }}
    >
      {formatNumber(n)}
    </a>
  );
}

function Latency({ ms }: { ms: number | undefined }) {
  return <>{ms === undefined ? '—' : formatLatency(ms)}</>;
}

function Row({ c, stuckLink }: { c: ChannelStat; stuckLink: ChannelTableProps['stuckLink'] }) {
  const name = channelName(c.channel);
  const ended = c.delivered + c.failed;
  const rateTitle =
    ended === 0
      ? 'No turn was delivered or failed for good in the range'
      : `${formatNumber(c.failed)} failed for good of ${formatNumber(ended)} that ended delivered or failed` +
        (c.aborted ? ` (${formatNumber(c.aborted)} aborted, not counted)` : '');
  return (
    <tr data-channel={c.channel}>
      <th scope="row" className="mono">
        {name}
      </th>
      <td className="num">{formatNumber(c.accepted)}</td>
      <td className="num">{formatNumber(c.delivered)}</td>
      <td className={`num${c.failureRate ? ' rate-bad' : ''}`} title={rateTitle}>
        {formatRate(c.failureRate)}
      </td>
      <td className="num">
        <StuckCount n={c.stuckTurns} link={stuckLink(c.channel, 'turns')} what={`stuck turns of ${name}`} />
      </td>
      <td className="num">
        <StuckCount n={c.stuckOutbox} link={stuckLink(c.channel, 'outbox')} what={`stuck outbox rows of ${name}`} />
      </td>
      <td className="num">
        <Latency ms={c.latency?.p50} />
      </td>
      <td className="num">
        <Latency ms={c.latency?.p95} />
      </td>
      <td className="num">
        <Latency ms={c.latency?.p99} />
      </td>
    </tr>
  );
}

/** The Overview's per-channel card: counts over the range, stuck now, delivery latency. */
export function ChannelTable({ stats, range, error, stuckLink }: ChannelTableProps) {
  const precision = stats ? latencyPrecisionText(stats.precision) : undefined;
  const fill = stats?.fill;
  return (
    <section className="card channels-card" aria-labelledby="channels-title">
      <header className="section-head">
        <h2 id="channels-title">Channels</h2>
        <span className="muted">{range}</span>
      </header>
      {error && <p className="channels-note channels-error">Could not load the numbers per channel: {error}</p>}
      {fill?.state === 'building' && (
        <p className="channels-note muted" role="status">
          Still counting the {formatNumber(fill.total)} turns from before this version ({formatNumber(fill.counted)} so
          far): until then the counts leave the rest out.
        </p>
      )}
      {fill?.state === 'unavailable' && (
        <p className="channels-note muted">
          This file is from an older version and open read-only: only the stuck counts are shown.
        </p>
      )}
      {stats === null ? (
        !error && <p className="muted empty-small">Loading…</p>
      ) : stats.channels.length === 0 ? (
        <p className="muted empty-small">No turns in {range}.</p>
      ) : (
        <div className="table-scroll static channels-table">
          <table aria-label={`Channels, ${range}`}>
            <thead>
              <tr>
                <th scope="col">Channel</th>
                <th scope="col" className="num" title="Turns accepted in the range">
                  Accepted
                </th>
                <th scope="col" className="num" title="Turns delivered in the range">
                  Delivered
                </th>
                <th scope="col" className="num" title="Failed for good ÷ (delivered + failed for good), in the range">
                  Failure rate
                </th>
                <th scope="col" className="num" title="Stuck now, whatever the range">
                  Stuck turns
                </th>
                <th scope="col" className="num" title="Stuck now, whatever the range">
                  Stuck rows
                </th>
                <th scope="col" className="num" title={precision}>
                  p50
                </th>
                <th scope="col" className="num" title={precision}>
                  p95
                </th>
                <th scope="col" className="num" title={precision}>
                  p99
                </th>
              </tr>
            </thead>
            <tbody>
              {stats.channels.map((c) => (
                <Row key={c.channel} c={c} stuckLink={stuckLink} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {stats && stats.channels.length > 0 && <p className="channels-note muted">{precision}</p>}
    </section>
  );
}
