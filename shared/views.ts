import type { HistoryEntry, OutboxRow, OutboxStatus, Turn, TurnStatus } from './types';
import type { TURN_ACTIVE_STATUSES } from './types';
import type { ApiArgs } from './api';

// Shapes of what the read side returns: the CLI, the API and the renderer share them.

export interface Page<T> {
  items: T[];
  /** Pass back to get the next page; null at the end. */
  nextCursor: string | null;
}

/** What listTurns accepts: the API's argument schema is the one definition (shared/api.ts). */
export type TurnFilter = ApiArgs<'listTurns'>;

export type TurnListItem = Turn & { stuckReason: string | null; blockingRowId: string | null };

/** What getAudit accepts (filters and a page). */
export type AuditFilter = ApiArgs<'getAudit'>;

/** What getErrorGroups accepts. */
export type ErrorGroupQuery = ApiArgs<'getErrorGroups'>;

/** What listOutbox accepts, likewise. */
export type OutboxFilter = ApiArgs<'listOutbox'>;

export type OutboxListItem = OutboxRow & { stuckReason: string | null };

export interface TurnDetail {
  turn: Turn;
  stuckReason: string | null;
  /** The turn's rows, then resends of them (resendOf set, turn_id NULL). */
  outbox: OutboxListItem[];
  /** The timeline of the turn and of those resends. */
  history: HistoryEntry[];
  /** Turns replayed as new from this one (their replayOf is this id). */
  replayedAs: string[];
}

export interface SeriesPoint {
  /** Bucket start, ms since the epoch. */
  t: number;
  /** Turns that entered each status during the bucket (accepted = new turns). */
  turnsEntered: Record<TurnStatus, number>;
  /** Open turns in each non-terminal status at the end of the bucket. */
  turnsOpen: Record<(typeof TURN_ACTIVE_STATUSES)[number], number>;
  /** Outbox rows that entered each status during the bucket. */
  outboxEntered: Record<OutboxStatus, number>;
}

export interface AbortResult {
  turns: number;
  outbox: number;
  turnIds: string[];
}

/** One recovery worker's heartbeat, as it recorded it in the file. */
export interface WorkerBeat {
  owner: string;
  host: string;
  pid: number;
  startedAt: number;
  lastPassAt: number | null;
  nextPassAt: number | null;
  /** Set when it stopped cleanly. */
  stoppedAt: number | null;
  /** Its next pass is not overdue (with a margin) and it did not stop. */
  alive: boolean;
  /** It runs in this app. */
  self: boolean;
  /** It has the gateway's handlers: it sends due rows / replays due turns (else it only expires and finalizes). */
  canDeliver: boolean;
  canReplay: boolean;
}

/** Is anyone recovering this file? What the heartbeats say, and what the writes let us infer. */
export interface Liveness {
  now: number;
  /** Heartbeats of the last 24 h, alive first. */
  workers: WorkerBeat[];
  /** When the next pass of an alive worker is due (the soonest), or null when none is alive. */
  nextPassAt: number | null;
  /** Newest write anyone made to the lifecycle tables (updated_at / queued_at / attempts / completions). */
  lastWriteAt: number | null;
  /** When this app last saw another connection commit to the file (PRAGMA data_version). */
  lastExternalWriteAt: number | null;
  /** Shown when no worker is alive: what that means for requested replays and retries. */
  banner: string | null;
  /** What was inferred for a gateway that records no heartbeat, in words; null when nothing was. */
  inferred: string | null;
}

export interface PruneResult {
  turns: number;
  outbox: number;
  history: number;
}

/** One channel over a range (getChannelStats). */
export interface ChannelStat {
  channel: string;
  /** Turns accepted in the range. */
  accepted: number;
  /** Turns that ended in the range: delivered / failed for good (failed_terminal) / aborted. */
  delivered: number;
  failed: number;
  aborted: number;
  /** failed / (delivered + failed) over the range; null when neither happened. */
  failureRate: number | null;
  /** Stuck now (whatever the range), as shared/stuck.ts says: turns and outbox rows on this channel. */
  stuckTurns: number;
  stuckOutbox: number;
  /**
   * Accept → delivered (completed_at − accepted_at), ms, over the turns delivered in the range;
   * null when none was. Each percentile is the middle of a log-scale bin (8 per doubling), so it
   * is within `ChannelStats.precision` of the true value (exact below ~12 ms).
   */
  latency: { count: number; p50: number; p95: number; p99: number } | null;
}

/**
 * How far the counting of the turns that were in the file before the aggregates existed got
 * (SQLite's migration 6 leaves them to a background fill); `unavailable`: an older file read as
 * it is (stuck counts only).
 */
export interface StatsFillState {
  state: 'ready' | 'building' | 'unavailable';
  counted: number;
  total: number;
}

export interface ChannelStats {
  /** The range asked for, ms since the epoch: [since, until). */
  since: number;
  until: number;
  /**
   * The range as counted: events are kept per minute, and an event counts when its minute
   * starts within [since, until), i.e. [countedSince, countedUntil) with both rounded up to a minute.
   */
  countedSince: number;
  countedUntil: number;
  /** Largest relative error of a latency percentile (half a bin: ≈ 0.045). */
  precision: number;
  fill: StatsFillState;
  /** By channel name. */
  channels: ChannelStat[];
}
