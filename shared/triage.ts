import {
  OUTBOX_PENDING_STATUSES,
  TURN_ACTIVE_STATUSES,
  type DispatchKind,
  type OutboxRow,
  type OutboxStatus,
  type Turn,
  type TurnStatus,
} from './types';

// Triage (dead letters, error groups, bulk by filter): the shapes and the rules that the core,
// the API, the CLI and the renderer share. Pure TypeScript.

/** Every action a person can run on many rows at once (ticked rows or "all matching a filter"). */
export const BULK_ACTIONS = ['retry', 'resend', 'terminate', 'replay', 'replay-as-new', 'abort'] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];

/** Which list an action works on. */
export const ACTION_LIST = {
  retry: 'outbox',
  resend: 'outbox',
  terminate: 'outbox',
  replay: 'turns',
  'replay-as-new': 'turns',
  abort: 'turns',
} as const satisfies Record<BulkAction, 'turns' | 'outbox'>;

/** Outbox rows that failed for good: a resend is what can still get them out. */
export const OUTBOX_DEAD_STATUSES = ['failed_terminal', 'expired'] as const satisfies readonly OutboxStatus[];
/** Turns that ended without an answer: replay as a new turn is what can still answer them. */
export const TURN_DEAD_STATUSES = ['failed_terminal', 'aborted'] as const satisfies readonly TurnStatus[];

/**
 * Terminal reasons a person chose (or that follow from a person's choice): such work does not
 * "need attention" and is not an error group, though it can still be resent or replayed as new.
 */
export const CHOSEN_TERMINAL_REASONS = ['turn_aborted', 'operator_terminated', 'non_final_pruned'] as const;

/** The statuses a row must be in for an action to make sense; the server re-checks each row. */
export const ACTION_STATUSES = {
  retry: OUTBOX_PENDING_STATUSES,
  terminate: OUTBOX_PENDING_STATUSES,
  resend: OUTBOX_DEAD_STATUSES,
  replay: TURN_ACTIVE_STATUSES,
  'replay-as-new': TURN_DEAD_STATUSES,
  abort: TURN_ACTIVE_STATUSES,
} as const satisfies Record<BulkAction, readonly string[]>;

/** The shortest search the full-text index answers (trigrams); a shorter one is an id or session-key prefix. */
export const MIN_FULL_TEXT = 3;

/** How long failed-for-good work counts as needing attention (LifecycleConfig.attentionWindowMs). */
export const DEFAULT_ATTENTION_WINDOW_MS = 24 * 3_600_000;

/** The idempotency key of a resend, and the dedupe key of a replay as a new turn: a repeat finds the first. */
export const resendKey = (rowId: string): string => `resend:${rowId}`;
export const replayKey = (turnId: string): string => `replay:${turnId}`;

/** One group of failures with the same normalized error, channel and kind. */
export interface ErrorGroup {
  subject: 'turn' | 'outbox';
  channel: string;
  /** Outbox rows: their dispatch kind, 'direct' for NULL; turns: null. */
  kind: DispatchKind | 'direct' | null;
  /** The normalized error: lower case, digits → '#', quoted values → "…", at most 200 characters. */
  signature: string;
  /** Rows (or turns) in the group within the window, and how many of them will still be retried / failed for good. */
  count: number;
  retrying: number;
  dead: number;
  firstSeen: number;
  lastSeen: number;
  /** The newest member: its id and its error as written. */
  sampleId: string;
  sampleError: string;
}

export type BulkJobState = 'running' | 'done' | 'cancelled' | 'failed';

/** A server-side bulk action over every row matching a filter. */
export interface BulkJob {
  id: string;
  action: BulkAction;
  list: 'turns' | 'outbox';
  /** The filter as the person set it, and in words for the audit. */
  filter: Record<string, unknown>;
  filterText: string;
  reason: string | null;
  by: string;
  /** The exact count when it started (rows matching the filter that could take the action). */
  total: number;
  done: number;
  refused: number;
  /** A few refusals, with why. */
  refusals: { id: string; error: string }[];
  state: BulkJobState;
  startedAt: number;
  finishedAt: number | null;
  error: string | null;
}

/** Why an action cannot be offered for this turn or row, in plain words; null when it can. */
export function whyNot(action: BulkAction, item: Pick<Turn, 'status'> | Pick<OutboxRow, 'status'>): string | null {
  const allowed = ACTION_STATUSES[action] as readonly string[];
  if (allowed.includes(item.status)) return null;
  const now = plainStatus(item.status);
  switch (action) {
    case 'retry':
      return `It is ${now}: only a send that is waiting or will be retried can be retried now.`;
    case 'terminate':
      return `It is ${now}: only a send that is waiting or will be retried can be stopped.`;
    case 'resend':
      return `It is ${now}: only a send that failed for good or expired can be sent again.`;
    case 'replay':
      return `It is ${now}: only an open turn can be run again; use "Replay as new turn" for one that ended.`;
    case 'replay-as-new':
      return `It is ${now}: only a turn that failed for good or was aborted can be replayed as a new turn.`;
    case 'abort':
      return `It is ${now}: only a session with open turns can be aborted.`;
  }
}

const PLAIN: Record<string, string> = {
  accepted: 'received',
  running: 'being answered',
  delivery_pending: 'waiting for its reply to be sent',
  failed_retryable: 'failed, will be retried',
  delivered: 'delivered',
  failed_terminal: 'failed for good',
  aborted: 'aborted',
  queued: 'waiting to be sent',
  expired: 'expired (too old to send)',
  turn_aborted: 'cancelled because its turn was aborted',
  operator_terminated: 'stopped by an operator',
  non_final_pruned: 'dropped (an intermediate message of a turn that was recovered)',
  max_attempts: 'gave up after the last attempt',
};

/** A status or terminal reason in words a person reads in a dialog; unknown values pass through. */
export function plainStatus(value: string): string {
  return PLAIN[value] ?? value.replaceAll('_', ' ');
}
