import type { ErrorGroup } from '../../../../shared/triage';
import type { ErrorGroupQuery } from '../../../../shared/views';
import { read, type PgCore, type Tx } from '../context';
import { Params } from '../params';
import {
  OUTBOX_ERROR_TEXT,
  OUTBOX_FAILED_AT,
  OUTBOX_FAILURE_SQL,
  TURN_ERROR_TEXT,
  TURN_FAILED_AT,
  TURN_FAILURE_SQL,
} from '../../../lifecycle/triage-rules';
import { DEFAULT_GROUP_LIMIT, DEFAULT_GROUP_WINDOW_MS } from '../../../lifecycle/queries/error-groups';
import { BYTEWISE } from './page';

// Failures grouped by normalized error (the stored error_signature of schema v3), channel and
// kind, over a window: a range of the partial index on when each failed (ix_*_failures), so
// only the window's failures are read whatever the size of the tables.

interface Source {
  subject: ErrorGroup['subject'];
  table: string;
  kind: string;
  failure: string;
  at: string;
  error: string;
}

const SOURCES: Source[] = [
  {
    subject: 'outbox',
    table: 'message_outbox',
    kind: "coalesce(dispatch_kind, 'direct')",
    failure: OUTBOX_FAILURE_SQL,
    at: `(${OUTBOX_FAILED_AT})`,
    error: OUTBOX_ERROR_TEXT,
  },
  {
    subject: 'turn',
    table: 'message_turns',
    kind: 'NULL::text',
    failure: TURN_FAILURE_SQL,
    at: `(${TURN_FAILED_AT})`,
    error: TURN_ERROR_TEXT,
  },
];

function groupsOf(t: Tx, s: Source, since: number, channel: string | undefined, limit: number): Promise<ErrorGroup[]> {
  const b = new Params();
  const newest = `ORDER BY ${s.at} DESC, id ${BYTEWISE} DESC`;
  return t.all<ErrorGroup>(
    `SELECT ${b.p(s.subject)}::text AS subject, channel, ${s.kind} AS kind, error_signature AS signature,
       count(*) AS count, count(*) FILTER (WHERE status = 'failed_retryable') AS retrying,
       count(*) FILTER (WHERE status <> 'failed_retryable') AS dead,
       min(${s.at}) AS "firstSeen", max(${s.at}) AS "lastSeen",
       (array_agg(id ${newest}))[1] AS "sampleId",
       coalesce((array_agg(${s.error} ${newest}))[1], '') AS "sampleError"
     FROM ${s.table}
     WHERE ${s.failure} AND ${s.at} >= ${b.p(since)}
       ${channel === undefined ? '' : `AND channel = ${b.p(channel)}`}
     GROUP BY channel, ${s.kind}, error_signature
     ORDER BY count(*) DESC, max(${s.at}) DESC LIMIT ${b.p(limit)}`,
    b.values,
  );
}

/** Biggest groups first (then the most recent), turns' and rows' together. */
export function errorGroups(core: PgCore, q: ErrorGroupQuery = {}): Promise<ErrorGroup[]> {
  return read(core, async (t) => {
    const since = t.now - (q.sinceMs ?? DEFAULT_GROUP_WINDOW_MS);
    const limit = q.limit ?? DEFAULT_GROUP_LIMIT;
    const groups: ErrorGroup[] = [];
    for (const s of SOURCES) {
      if (q.subject === undefined || q.subject === s.subject)
        groups.push(...(await groupsOf(t, s, since, q.channel, limit)));
    }
    return groups
      .map((g) => ({ ...g, signature: g.signature ?? '' }))
      .sort((x, y) => y.count - x.count || y.lastSeen - x.lastSeen || x.signature.localeCompare(y.signature))
      .slice(0, limit);
  });
}
