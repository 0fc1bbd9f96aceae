import { isTurnTerminal, type Turn, type TurnStatus } from '../../shared/types';
import type { Core } from './context';
import { finalRowSql } from './rules';
import type { Who } from './history';
import { moveTurn, recordTurnFailure } from './turns';

export interface FinalizeOptions {
  /**
   * Final replies the host sent by a path outside the outbox. Only consulted when the turn has
   * no final outbox row; zero then means nothing was sent and recovery will replay.
   */
  finalSendsOutsideOutbox?: number | undefined;
  /** The turn deliberately sends no reply: it is delivered with this reason. */
  noReply?: string | undefined;
  /** The turn's attempt was counted when it was claimed (recovery replays). */
  counted?: boolean | undefined;
}

export interface FinalizeResult {
  status: TurnStatus;
  changed: boolean;
  /** Why the turn is in that status, in words. */
  reason: string | null;
}

export interface FinalRowCounts {
  total: number;
  delivered: number;
  pending: number;
  failed: number;
}

/** FinalRowCounts' sums over the final rows `o` (`o.` or ''); `total` is the caller's (a LEFT JOIN counts o.id). */
const finalSums = (o: string): string => `coalesce(sum(${o}status = 'delivered'), 0) AS delivered,
    coalesce(sum(${o}status IN ('queued','failed_retryable')), 0) AS pending,
    coalesce(sum(${o}status IN ('failed_terminal','expired')), 0) AS failed`;

const FINAL_COUNTS_SQL = `SELECT count(*) AS total, ${finalSums('')}
  FROM message_outbox WHERE turn_id = ? AND ${finalRowSql()}`;

/**
 * The turn's status and its final rows' counts in one read: what finalizing decides from. An
 * aggregate, so there is a row (status NULL) when the turn is missing.
 */
const TURN_AND_FINALS_SQL = `SELECT t.status, t.terminal_reason AS terminalReason, count(o.id) AS total, ${finalSums('o.')}
  FROM message_turns t LEFT JOIN message_outbox o ON o.turn_id = t.id AND ${finalRowSql('o')}
  WHERE t.id = ?`;

/** The turn's final rows only (dispatch_kind 'final' or NULL): tool/block rows never decide a turn. */
export function finalRowCounts(core: Core, turnId: string): FinalRowCounts {
  return core.stmt(FINAL_COUNTS_SQL).get(turnId) as FinalRowCounts;
}

function lastFinalError(core: Core, turnId: string): string | null {
  const row = core
    .stmt(
      `SELECT coalesce(last_error, terminal_reason) AS err FROM message_outbox
       WHERE turn_id = ? AND status IN ('failed_terminal','expired') AND ${finalRowSql()}
       ORDER BY completed_at DESC LIMIT 1`,
    )
    .get(turnId) as { err: string | null } | undefined;
  return row?.err ?? null;
}

const OPEN: TurnStatus[] = ['accepted', 'running', 'delivery_pending', 'failed_retryable'];

/** SPEC "Finalizing a turn": what the turn's final rows and the host's report decide. */
export type FinalDecision =
  | { kind: 'deliver'; reason: string | null }
  /** A final row is still pending: the outbox pass owns the turn. */
  | { kind: 'queued'; reason: string }
  /** Final rows exist and all failed: failed_terminal (finalFailedReason). */
  | { kind: 'failed' }
  /** Nothing was sent: a failed attempt (recovery replays). */
  | { kind: 'unsent'; reason: string };

export function decideFinal(finals: FinalRowCounts, options: FinalizeOptions): FinalDecision {
  if (finals.delivered > 0) return { kind: 'deliver', reason: null };
  if (finals.pending > 0) return { kind: 'queued', reason: 'final reply still queued' };
  if (finals.total > 0) return { kind: 'failed' };
  if (options.noReply) return { kind: 'deliver', reason: `no reply: ${options.noReply}` };
  const outside = options.finalSendsOutsideOutbox ?? 0;
  if (outside > 0) return { kind: 'deliver', reason: `final reply sent outside the outbox (${outside})` };
  return { kind: 'unsent', reason: 'no final reply was sent' };
}

/** Why a turn whose final rows all failed is failed_terminal: the last final row's error. */
export function finalFailedReason(lastError: string | null): string {
  return `final reply failed: ${lastError ?? 'unknown error'}`;
}

/** The result of finalizing a turn that is missing or already terminal: nothing changes. */
export function settled(turn: Pick<Turn, 'status' | 'terminalReason'> | undefined): FinalizeResult {
  if (!turn) return { status: 'failed_terminal', changed: false, reason: 'no such turn' };
  return { status: turn.status, changed: false, reason: turn.terminalReason };
}

export function finalizeTurn(core: Core, turnId: string, options: FinalizeOptions, who: Who): FinalizeResult {
  return core.write((): FinalizeResult => {
    const found = core.stmt(TURN_AND_FINALS_SQL).get(turnId) as Pick<Turn, 'status' | 'terminalReason'> &
      FinalRowCounts;
    const turn = found.status === null ? undefined : found;
    if (!turn || isTurnTerminal(turn.status)) return settled(turn);
    const decision = decideFinal(turn, options);
    switch (decision.kind) {
      case 'deliver':
        moveTurn(core, turnId, OPEN, 'delivered', who, { reason: decision.reason });
        return { status: 'delivered', changed: true, reason: decision.reason };
      case 'queued':
        return { status: turn.status, changed: false, reason: decision.reason };
      case 'failed': {
        const reason = finalFailedReason(lastFinalError(core, turnId));
        moveTurn(core, turnId, OPEN, 'failed_terminal', who, { reason });
        return { status: 'failed_terminal', changed: true, reason };
      }
      case 'unsent': {
        const status = recordTurnFailure(core, turnId, decision.reason, who, { counted: options.counted });
        return { status: status ?? turn.status, changed: status !== null, reason: decision.reason };
      }
    }
  });
}
