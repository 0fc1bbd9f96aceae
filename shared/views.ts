import type {
  DispatchKind,
  HistoryEntry,
  OutboxRow,
  OutboxStatus,
  Turn,
  TurnStatus,
} from './types';
import type { TURN_ACTIVE_STATUSES } from './types';

// Shapes of what the read side returns: the CLI, the API and the renderer share them.

export interface Page<T> {
  items: T[];
  /** Pass back to get the next page; null at the end. */
  nextCursor: string | null;
}

export interface TurnFilter {
  status?: TurnStatus[] | undefined;
  sessionKey?: string | undefined;
  channel?: string | undefined;
  stuck?: boolean | undefined;
  /** An exact turn id, or the start of a session key. */
  search?: string | undefined;
  order?: 'asc' | 'desc' | undefined;
  limit?: number | undefined;
  cursor?: string | null | undefined;
}

export type TurnListItem = Turn & { stuckReason: string | null; blockingRowId: string | null };

export interface OutboxFilter {
  status?: OutboxStatus[] | undefined;
  turnId?: string | undefined;
  kind?: DispatchKind | 'direct' | undefined;
  channel?: string | undefined;
  stuck?: boolean | undefined;
  /** An exact row id, turn id or idempotency key. */
  search?: string | undefined;
  order?: 'asc' | 'desc' | undefined;
  limit?: number | undefined;
  cursor?: string | null | undefined;
}

export type OutboxListItem = OutboxRow & { stuckReason: string | null };

export interface TurnDetail {
  turn: Turn;
  stuckReason: string | null;
  outbox: OutboxListItem[];
  history: HistoryEntry[];
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

export interface PruneResult {
  turns: number;
  outbox: number;
  history: number;
}
