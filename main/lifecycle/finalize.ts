import { isTurnTerminal, type TurnStatus } from '../../shared/types';
import type { Core } from './context';
import { finalRowSql } from './rules';
import type { Who } from './history';
import { getTurn, moveTurn, recordTurnFailure } from './turns';

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

/** The turn's final rows only (dispatch_kind 'final' or NULL): tool/block rows never decide a turn. */
export function finalRowCounts(core: Core, turnId: string): FinalRowCounts {
  return core
    .stmt(
      `SELECT count(*) AS total,
         coalesce(sum(status = 'delivered'), 0) AS delivered,
         coalesce(sum(status IN ('queued','failed_retryable')), 0) AS pending,
         coalesce(sum(status IN ('failed_terminal','expired')), 0) AS failed
       FROM message_outbox WHERE turn_id = ? AND ${finalRowSql()}`,
    )
    .get(turnId) as FinalRowCounts;
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

export function finalizeTurn(core: Core, turnId: string, options: FinalizeOptions, who: Who): FinalizeResult {
  return core.write((): FinalizeResult => {
    const turn = getTurn(core, turnId);
    if (!turn) return { status: 'failed_terminal', changed: false, reason: 'no such turn' };
    if (isTurnTerminal(turn.status)) return { status: turn.status, changed: false, reason: turn.terminalReason };
    const finals = finalRowCounts(core, turnId);
    const deliver = (reason: string | null): FinalizeResult => {
      moveTurn(core, turnId, OPEN, 'delivered', who, { reason });
      return { status: 'delivered', changed: true, reason };
    };
    if (finals.delivered > 0) return deliver(null);
    if (finals.pending > 0) return { status: turn.status, changed: false, reason: 'final reply still queued' };
    if (finals.total > 0) {
      const reason = `final reply failed: ${lastFinalError(core, turnId) ?? 'unknown error'}`;
      moveTurn(core, turnId, OPEN, 'failed_terminal', who, { reason });
      return { status: 'failed_terminal', changed: true, reason };
    }
    if (options.noReply) return deliver(`no reply: ${options.noReply}`);
    const outside = options.finalSendsOutsideOutbox ?? 0;
    if (outside > 0) return deliver(`final reply sent outside the outbox (${outside})`);
    const reason = 'no final reply was sent';
    const status = recordTurnFailure(core, turnId, reason, who, { counted: options.counted });
    return { status: status ?? turn.status, changed: status !== null, reason };
  });
}
