import { OUTBOX_PENDING_STATUSES, TURN_ACTIVE_STATUSES, isTurnTerminal } from '../../../shared/types';
import {
  decideFinal,
  finalFailedReason,
  settled,
  type FinalRowCounts,
  type FinalizeOptions,
  type FinalizeResult,
} from '../../lifecycle/finalize';
import type { Who } from './history';
import { finalRowSql } from '../../lifecycle/rules';
import { tx, type PgCore, type Tx } from './context';
import { moveTurn, recordFailureIn, turnById } from './turns';

// SPEC "Finalizing a turn" on PostgreSQL (decideFinal). The turn is locked first: an enqueue of
// a row for it waits until the decision committed, and a row's own status, once done, never changes.

const GATEWAY: Who = { actor: 'gateway' };
const FAILED = ['failed_terminal', 'expired'];

/** The turn's final rows only (dispatch_kind 'final' or NULL): tool/block rows never decide a turn. */
export async function finalRowCounts(t: Tx, turnId: string): Promise<FinalRowCounts> {
  return (await t.one<FinalRowCounts>(
    `SELECT count(*) AS total,
       count(*) FILTER (WHERE status = 'delivered') AS delivered,
       count(*) FILTER (WHERE status = ANY($2::text[])) AS pending,
       count(*) FILTER (WHERE status = ANY($3::text[])) AS failed
     FROM message_outbox WHERE turn_id = $1 AND ${finalRowSql()}`,
    [turnId, OUTBOX_PENDING_STATUSES, FAILED],
  ))!;
}

async function lastFinalError(t: Tx, turnId: string): Promise<string | null> {
  const row = await t.one<{ err: string | null }>(
    `SELECT coalesce(last_error, terminal_reason) AS err FROM message_outbox
     WHERE turn_id = $1 AND status = ANY($2::text[]) AND ${finalRowSql()}
     ORDER BY completed_at DESC NULLS LAST LIMIT 1`,
    [turnId, FAILED],
  );
  return row?.err ?? null;
}

/** finalizeTurn inside a transaction (an operator's terminate finalizes in its own). */
export async function finalizeIn(
  t: Tx,
  core: PgCore,
  turnId: string,
  options: FinalizeOptions,
  who: Who,
): Promise<FinalizeResult> {
  const turn = await turnById(t, turnId, true);
  if (!turn || isTurnTerminal(turn.status)) return settled(turn);
  const decision = decideFinal(await finalRowCounts(t, turnId), options);
  switch (decision.kind) {
    case 'deliver':
      await moveTurn(t, core, turnId, TURN_ACTIVE_STATUSES, 'delivered', who, { reason: decision.reason });
      return { status: 'delivered', changed: true, reason: decision.reason };
    case 'queued':
      return { status: turn.status, changed: false, reason: decision.reason };
    case 'failed': {
      const reason = finalFailedReason(await lastFinalError(t, turnId));
      await moveTurn(t, core, turnId, TURN_ACTIVE_STATUSES, 'failed_terminal', who, { reason });
      return { status: 'failed_terminal', changed: true, reason };
    }
    case 'unsent': {
      const status = await recordFailureIn(t, core, turnId, decision.reason, who, { counted: options.counted });
      return { status: status ?? turn.status, changed: status !== null, reason: decision.reason };
    }
  }
}

export function finalizeTurn(
  core: PgCore,
  turnId: string,
  options: FinalizeOptions,
  who: Who = GATEWAY,
): Promise<FinalizeResult> {
  return tx(core, (t) => finalizeIn(t, core, turnId, options, who));
}
