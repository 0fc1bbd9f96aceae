// Domain types shared by the core (main/) and the dashboard (renderer/).
// Status strings are fixed by ../shared/SPEC.md: gateways write them too.

export const TURN_STATUSES = [
  'accepted',
  'running',
  'delivery_pending',
  'failed_retryable',
  'delivered',
  'failed_terminal',
  'aborted',
] as const;
export type TurnStatus = (typeof TURN_STATUSES)[number];

export const TURN_ACTIVE_STATUSES = [
  'accepted',
  'running',
  'delivery_pending',
  'failed_retryable',
] as const satisfies readonly TurnStatus[];
export const TURN_TERMINAL_STATUSES = [
  'delivered',
  'failed_terminal',
  'aborted',
] as const satisfies readonly TurnStatus[];

export const OUTBOX_STATUSES = ['queued', 'failed_retryable', 'delivered', 'failed_terminal', 'expired'] as const;
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];
export const OUTBOX_PENDING_STATUSES = ['queued', 'failed_retryable'] as const satisfies readonly OutboxStatus[];
export const OUTBOX_DONE_STATUSES = [
  'delivered',
  'failed_terminal',
  'expired',
] as const satisfies readonly OutboxStatus[];

/** SPEC "Storage": a gateway keeps the file at `<state dir>/message-lifecycle.db`. */
export const DB_FILE_NAME = 'message-lifecycle.db';

export const DISPATCH_KINDS = ['tool', 'block', 'final'] as const;
export type DispatchKind = (typeof DISPATCH_KINDS)[number];

export const ERROR_CLASSES = ['retryable', 'terminal', 'permanent'] as const;
export type ErrorClass = (typeof ERROR_CLASSES)[number];

/** Who made a transition: the live gateway, the recovery worker, a replay it ran, or a person. */
export const ACTORS = ['gateway', 'worker', 'replay', 'operator'] as const;
export type Actor = (typeof ACTORS)[number];

export function isTurnTerminal(status: string): boolean {
  return (TURN_TERMINAL_STATUSES as readonly string[]).includes(status);
}
export function isOutboxPending(status: string): boolean {
  return (OUTBOX_PENDING_STATUSES as readonly string[]).includes(status);
}
/**
 * SPEC "Finalizing a turn": only final rows decide a turn, and a NULL dispatch kind is a direct
 * send that counts as final. The core's SQL for it is built from this (main/lifecycle/rules.ts).
 */
export const FINAL_KIND = 'final' satisfies DispatchKind;

export function isFinalKind(kind: string | null): boolean {
  return kind === null || kind === FINAL_KIND;
}

export interface Turn {
  id: string;
  channel: string;
  accountId: string;
  externalId: string | null;
  dedupeKey: string | null;
  sessionKey: string;
  payload: string;
  routeChannel: string;
  routeTo: string;
  routeAccountId: string | null;
  routeThreadId: string | null;
  routeReplyToId: string | null;
  acceptedAt: number;
  updatedAt: number;
  status: TurnStatus;
  attemptCount: number;
  nextAttemptAt: number;
  terminalReason: string | null;
  completedAt: number | null;
  claimOwner: string | null;
  claimExpiresAt: number | null;
  /** A replay as a new turn: the turn it was made from (schema v5; NULL for gateways' turns). */
  replayOf: string | null;
}

export interface OutboxRow {
  id: string;
  turnId: string | null;
  channel: string;
  accountId: string;
  target: string;
  dispatchKind: DispatchKind | null;
  payload: string;
  queuedAt: number;
  status: OutboxStatus;
  attemptCount: number;
  nextAttemptAt: number;
  lastAttemptAt: number | null;
  deliveredAt: number | null;
  completedAt: number | null;
  lastError: string | null;
  errorClass: ErrorClass | null;
  terminalReason: string | null;
  idempotencyKey: string | null;
  claimOwner: string | null;
  claimExpiresAt: number | null;
  /** A resend: the dead row it was made from (schema v5). */
  resendOf: string | null;
}

export interface HistoryEntry {
  id: number;
  kind: 'turn' | 'outbox' | 'action';
  entityId: string | null;
  /** The turn a row belongs to (or the row itself when it has none): the detail view's key. */
  subjectId: string | null;
  fromStatus: string | null;
  toStatus: string | null;
  actor: Actor;
  reason: string | null;
  /** Who, for operator actions (e.g. "cli:alice"); the process owner for others. */
  by: string | null;
  at: number;
  /** Which operator action (a BulkAction, 'prune', 'bulk'); null for other entries and older files (schema v5). */
  action: string | null;
  /** The reason a person gave for an operator action (schema v5). */
  note: string | null;
  /** Set on the per-row entries of a bulk job (the audit shows the job's one summary entry instead). */
  jobId: string | null;
}

export interface StatusCounts {
  turns: Record<TurnStatus, number>;
  outbox: Record<OutboxStatus, number>;
  /** Statuses outside the SPEC's set that some writer used (shown as "other: …", never hidden). */
  otherTurns: Record<string, number>;
  otherOutbox: Record<string, number>;
  stuckTurns: number;
  stuckOutbox: number;
  /** Failed for good within the attention window and not chosen by a person, not yet replayed/resent. */
  deadTurns: number;
  deadOutbox: number;
  at: number;
}
