import { formatLatency, formatRate, latencyPrecisionText } from '../../../shared/channel-format';
import { SqliteStore } from '../../store/sqlite/store';
import { statsRange } from '../../lifecycle/queries/channel-stats';
import { enumFlag, positionals, stringFlag } from '../args';
import type { Command } from '../command';
import { durationFlag } from '../duration';
import { UsageError } from '../errors';
import { checkedArgs } from '../filters';
import { cell, table } from '../output';

// `channels`: per channel over a range: what was accepted and how it ended, the failure rate,
// what is stuck now, and the accept → delivered latency percentiles.

/** Turns the CLI counts per paced pass of the fill (an older file just migrated by this command). */
const FILL_TURNS = 50_000;

export const channelsCommand: Command = {
  name: 'channels',
  summary: 'per channel: accepted, delivered, failure rate, stuck now, delivery latency p50/p95/p99',
  usage: 'channels [--since DURATION | --window 1h|24h|7d]',
  details: [
    '--since D      the range: the last 30m, 24h, 7d … (at most 90d)',
    '--window W     1h, 24h (default) or 7d, as the dashboard',
    'events count by the minute they happened in; latency percentiles are within ±5 %',
  ],
  flags: { since: 'string', window: 'string' },
  prepare(args) {
    positionals(args, [], 'channels');
    const sinceMs = durationFlag(stringFlag(args, 'since'), 'since', 'channels');
    const window = enumFlag(args, 'window', ['1h', '24h', '7d'] as const, 'channels');
    if (sinceMs !== undefined && window !== undefined) {
      throw new UsageError('give --since or --window, not both', 'channels');
    }
    const checked = checkedArgs('getChannelStats', window ? { window } : {}, 'channels');
    return async (ctx) => {
      const store = await ctx.open();
      // A file this command just migrated to version 6: count its older turns now (paced, as
      // the dashboard would), or the numbers would leave them out.
      if (store instanceof SqliteStore) {
        while (store.statsFillState()?.state === 'building') {
          if ((await store.fillStats(FILL_TURNS)) === 0) break;
        }
      }
      const now = await store.now();
      const range =
        sinceMs !== undefined ? statsRange({ since: now - sinceMs, until: now }, now) : statsRange(checked, now);
      const stats = await store.channelStats(range.since, range.until);
      ctx.out.emit(stats, () => {
        const lines: string[] = [];
        if (stats.fill.state === 'unavailable')
          lines.push('(a file of an older version, read as it is: stuck counts only)');
        if (stats.fill.state === 'building') {
          lines.push(
            `(still counting the turns from before this version: ${stats.fill.counted} of ${stats.fill.total})`,
          );
        }
        if (stats.channels.length === 0) {
          lines.push('(no turns in the range)');
          return lines.join('\n');
        }
        const ms = (v: number | undefined): string => (v === undefined ? '-' : formatLatency(v));
        lines.push(
          table(
            [
              'CHANNEL',
              'ACCEPTED',
              'DELIVERED',
              'FAILED',
              'ABORTED',
              'FAILURE RATE',
              'STUCK TURNS',
              'STUCK ROWS',
              'P50',
              'P95',
              'P99',
            ],
            stats.channels.map((c) => [
              c.channel === '' ? '(none)' : cell(c.channel),
              String(c.accepted),
              String(c.delivered),
              String(c.failed),
              String(c.aborted),
              formatRate(c.failureRate),
              String(c.stuckTurns),
              String(c.stuckOutbox),
              ms(c.latency?.p50),
              ms(c.latency?.p95),
              ms(c.latency?.p99),
            ]),
          ),
        );
        lines.push(latencyPrecisionText(stats.precision));
        return lines.join('\n');
      });
    };
  },
};
