import {
  OUTBOX_PENDING_STATUSES,
  TURN_ACTIVE_STATUSES,
  isFinalKind,
  isOutboxPending,
  type OutboxRow,
  type Turn,
} from './types';
import {
  CHOSEN_TERMINAL_REASONS,
  DEFAULT_ATTENTION_WINDOW_MS,
  OUTBOX_DEAD_STATUSES,
  TURN_DEAD_STATUSES,
} from './triage';

// What "stuck" means (SPEC, "Stuck") and why, in one sentence. Pure: the CLI, the API and the
// renderer all use these, so a row is stuck for the same reason everywhere.

export interface StuckThresholds {
  /** A non-terminal turn this long in its current state is stuck. */
  turnStuckAfterMs: number;
  /** A pending row this far past its due time is stuck (a worker tick should have taken it). */
  outboxOverdueMs: number;
  /** How long failed-for-good work needs attention (LifecycleConfig.attentionWindowMs; default 24 h). */
  attentionWindowMs?: number;
}

export const DEFAULT_STUCK: StuckThresholds = { turnStuckAfterMs: 5 * 60_000, outboxOverdueMs: 60_000 };

/**
 * The rule, once: not done, and either failed at least once or its time column is older than
 * now minus the threshold. These predicates and the core's SQL (main/lifecycle/rules.ts) are
 * both built from it.
 */
export const STUCK_RULE = {
  turn: { statuses: TURN_ACTIVE_STATUSES, time: 'updatedAt', column: 'updated_at', threshold: 'turnStuckAfterMs' },
  row: {
    statuses: OUTBOX_PENDING_STATUSES,
    time: 'nextAttemptAt',
    column: 'next_attempt_at',
    threshold: 'outboxOverdueMs',
  },
} as const;

function stuck(
  rule: (typeof STUCK_RULE)[keyof typeof STUCK_RULE],
  status: string,
  attempts: number,
  time: number,
  now: number,
  th: StuckThresholds,
): boolean {
  return (rule.statuses as readonly string[]).includes(status) && (attempts > 0 || time < now - th[rule.threshold]);
}

export function isTurnStuck(
  t: Pick<Turn, 'status' | 'attemptCount' | 'updatedAt'>,
  now: number,
  th = DEFAULT_STUCK,
): boolean {
  return stuck(STUCK_RULE.turn, t.status, t.attemptCount, t[STUCK_RULE.turn.time], now, th);
}

export function isRowStuck(
  r: Pick<OutboxRow, 'status' | 'attemptCount' | 'nextAttemptAt'>,
  now: number,
  th = DEFAULT_STUCK,
): boolean {
  return stuck(STUCK_RULE.row, r.status, r.attemptCount, r[STUCK_RULE.row.time], now, th);
}

export function formatDuration(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.round(m / 60);
  return h < 48 ? `${h} h` : `${Math.round(h / 24)} d`;
}

function when(at: number, now: number): string {
  return at <= now ? `was due ${formatDuration(now - at)} ago` : `next attempt in ${formatDuration(at - now)}`;
}

function times(n: number): string {
  return n === 1 ? 'once' : `${n} times`;
}

/**
 * Failed for good recently, and not by a person's choice (issue 11's "needs attention"): what
 * the "Why stuck" column says of it instead of nothing. Whether it was since resent or replayed
 * as new is not known here; the `dead` filter and counts leave those out.
 */
function deadReason(
  dead: readonly string[],
  item: { status: string; completedAt: number | null; terminalReason: string | null; attemptCount: number },
  error: string | null,
  now: number,
  th: StuckThresholds,
): string | null {
  if (!dead.includes(item.status) || item.completedAt === null) return null;
  if (item.completedAt < now - (th.attentionWindowMs ?? DEFAULT_ATTENTION_WINDOW_MS)) return null;
  if ((CHOSEN_TERMINAL_REASONS as readonly string[]).includes(item.terminalReason ?? '')) return null;
  const what = item.status === 'expired' ? 'Expired' : 'Failed for good';
  // A turn that failed live was never retried by the worker: its count is 0, and "after 0 attempts" says nothing true.
  const n = item.attemptCount;
  return `${what}: ${error ?? 'unknown error'}${n > 0 ? ` after ${n} attempt${n === 1 ? '' : 's'}` : ''}`;
}

/** Why an outbox row is stuck (or failed for good recently), or null if it is neither. */
export function rowStuckReason(
  r: Pick<OutboxRow, 'status' | 'attemptCount' | 'nextAttemptAt' | 'lastError' | 'dispatchKind'> &
    Partial<Pick<OutboxRow, 'completedAt' | 'terminalReason'>>,
  now: number,
  th = DEFAULT_STUCK,
): string | null {
  if (!isRowStuck(r, now, th)) {
    const item = { ...r, completedAt: r.completedAt ?? null, terminalReason: r.terminalReason ?? null };
    return deadReason(OUTBOX_DEAD_STATUSES, item, r.lastError ?? item.terminalReason, now, th);
  }
  const what = isFinalKind(r.dispatchKind) ? 'final reply' : `${r.dispatchKind} message`;
  if (r.attemptCount > 0) {
    return `${what} failed ${times(r.attemptCount)}, last error ${r.lastError ?? 'unknown'}, ${when(r.nextAttemptAt, now)}`;
  }
  return `${what} not sent yet, ${when(r.nextAttemptAt, now)}; is a recovery worker running?`;
}

/** The final row that decides a stuck turn, if any (the worst pending one). */
export type BlockingRow = Pick<
  OutboxRow,
  'id' | 'status' | 'attemptCount' | 'nextAttemptAt' | 'lastError' | 'dispatchKind'
>;

/** Why a turn is stuck, or null if it is not. */
export function turnStuckReason(
  t: Pick<
    Turn,
    'status' | 'attemptCount' | 'updatedAt' | 'nextAttemptAt' | 'terminalReason' | 'claimOwner' | 'claimExpiresAt'
  > &
    Partial<Pick<Turn, 'completedAt'>>,
  blocking: BlockingRow | null,
  now: number,
  th = DEFAULT_STUCK,
): string | null {
  if (!isTurnStuck(t, now, th)) {
    // Only failed_terminal turns: an aborted one was a person's choice.
    const item = { ...t, completedAt: t.completedAt ?? null };
    return deadReason(TURN_DEAD_STATUSES.slice(0, 1), item, t.terminalReason, now, th);
  }
  if (blocking && isOutboxPending(blocking.status)) {
    return `${rowStuckReason(blocking, now, { ...th, outboxOverdueMs: -Infinity }) ?? 'final reply queued'} (row ${blocking.id})`;
  }
  if (t.claimOwner && t.claimExpiresAt !== null && t.claimExpiresAt > now) {
    return `${t.status} for ${formatDuration(now - t.updatedAt)}, held by ${t.claimOwner} for ${formatDuration(t.claimExpiresAt - now)} more`;
  }
  if (t.attemptCount > 0) {
    return `failed ${times(t.attemptCount)}, last error ${t.terminalReason ?? 'unknown'}, ${when(t.nextAttemptAt, now)}`;
  }
  return `${t.status} for ${formatDuration(now - t.updatedAt)} with no final reply queued, ${when(t.nextAttemptAt, now)}`;
}
