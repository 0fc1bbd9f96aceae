import type { ErrorGroup } from '../../../shared/triage';
import type { ErrorGroupQuery } from '../../../shared/views';
import type { Core } from '../context';
import { indexedBy } from './indexed-by';
import {
  OUTBOX_ERROR_TEXT,
  OUTBOX_FAILED_AT,
  OUTBOX_FAILURE_SQL,
  TURN_ERROR_TEXT,
  TURN_FAILED_AT,
  TURN_FAILURE_SQL,
} from '../triage-rules';

// Failures grouped by normalized error, channel and kind (issue 11, "error groups"): one range
// scan of v5's covering index of failures by time per subject, grouped (a channel only narrows
// it: on the channel's own index the scan would read every row of the channel); the newest member of
// each group rides along in the aggregate (its time and id in one sortable text), so the only
// other reads are one key lookup per group for its error as written.

export const DEFAULT_GROUP_WINDOW_MS = 24 * 3_600_000;
export const DEFAULT_GROUP_LIMIT = 100;

interface Grouped extends Omit<ErrorGroup, 'sampleError'> {
  sample: string;
}

/** The newest member: its time zero-padded, then its id, so max() picks the newest and says which. */
const newest = (at: string): string => `max(printf('%016d', ${at}) || id)`;

/** v5's covering index of failures by time, per subject. */
const FAILURES_INDEX = { outbox: 'ix_outbox_failures', turn: 'ix_turns_failures' } as const;

/**
 * Named with INDEXED BY: with the statistics of a file where most rows are delivered, the planner
 * prefers (status, queued_at) and reads every failure's row (1M bench file: 217 ms against 8–22 ms).
 */

function groupSql(subject: 'turn' | 'outbox', channel: boolean, indexed: string): string {
  const [table, at, failure, kind] =
    subject === 'outbox'
      ? ['message_outbox', OUTBOX_FAILED_AT, OUTBOX_FAILURE_SQL, `coalesce(dispatch_kind, 'direct')`]
      : ['message_turns', TURN_FAILED_AT, TURN_FAILURE_SQL, 'NULL'];
  const dead = subject === 'outbox' ? "status <> 'failed_retryable'" : "status = 'failed_terminal'";
  return `SELECT '${subject}' AS subject, channel, ${kind} AS kind, error_signature AS signature, count(*) AS count,
      sum(status = 'failed_retryable') AS retrying, sum(${dead}) AS dead, min(${at}) AS firstSeen,
      max(${at}) AS lastSeen, ${newest(at)} AS sample
    FROM ${table}${indexed} WHERE ${failure} AND ${at} >= @since${channel ? ' AND +channel = @channel' : ''}
    GROUP BY channel, ${subject === 'outbox' ? 'dispatch_kind, ' : ''}error_signature
    ORDER BY count DESC LIMIT @limit`;
}

const SAMPLE_SQL = {
  turn: `SELECT ${TURN_ERROR_TEXT} FROM message_turns WHERE id = ?`,
  outbox: `SELECT ${OUTBOX_ERROR_TEXT} FROM message_outbox WHERE id = ?`,
};

/** Biggest groups first (then the most recent), at most `limit`, over the last `sinceMs`. */
export function errorGroups(core: Core, query: ErrorGroupQuery = {}): ErrorGroup[] {
  const limit = query.limit ?? DEFAULT_GROUP_LIMIT;
  const params = {
    since: core.now() - (query.sinceMs ?? DEFAULT_GROUP_WINDOW_MS),
    limit,
    ...(query.channel !== undefined ? { channel: query.channel } : {}),
  };
  const subjects = query.subject ? [query.subject] : (['outbox', 'turn'] as const);
  const groups = subjects.flatMap(
    (s) =>
      core.stmt(groupSql(s, query.channel !== undefined, indexedBy(core, FAILURES_INDEX[s]))).all(params) as Grouped[],
  );
  groups.sort((a, b) => b.count - a.count || b.lastSeen - a.lastSeen);
  return groups.slice(0, limit).map(({ sample, ...g }): ErrorGroup => {
    const sampleId = sample.slice(16);
    const sampleError = (core.stmt(SAMPLE_SQL[g.subject]).pluck().get(sampleId) as string | null) ?? '';
    return { ...g, signature: g.signature ?? '', sampleId, sampleError };
  });
}
