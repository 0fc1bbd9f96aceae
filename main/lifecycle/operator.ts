import { OUTBOX_PENDING_STATUSES, isFinalKind, isOutboxPending, isTurnTerminal } from '../../shared/types';
import { abortSession, type AbortResult } from './abort';
import type { Core } from './context';
import { LifecycleError } from './errors';
import { finalRowCounts, finalizeTurn } from './finalize';
import { record, recordAction, type Who } from './history';
import { prune, type PruneResult } from './maintenance';
import { moveRow, requireRow } from './outbox';
import { moveTurn, requireTurn } from './turns';

// Operator actions of the SPEC: each one transaction, refused with a clear error where it
// makes no sense, and recorded with who/what/when.

const operator = (by: string): Who => ({ actor: 'operator', by });

function refuseIfHeld(core: Core, what: string, claimOwner: string | null, claimExpiresAt: number | null): void {
  if (claimOwner && claimOwner !== core.owner && claimExpiresAt !== null && claimExpiresAt > core.now()) {
    throw new LifecycleError(
      'invalid_state',
      `${what} is being processed by ${claimOwner} until ${new Date(claimExpiresAt).toISOString()}; try again after that`,
    );
  }
}

export function operatorAbort(core: Core, sessionKey: string, by: string): AbortResult {
  const result = abortSession(core, sessionKey, operator(by));
  if (result.turns === 0) {
    throw new LifecycleError('invalid_state', `session "${sessionKey}" has no open turns; nothing to abort`);
  }
  return result;
}

/** Re-arms a turn for the recovery worker: failed_retryable, due now. */
export function operatorReplay(core: Core, turnId: string, by: string): void {
  core.write(() => {
    const turn = requireTurn(core, turnId);
    if (isTurnTerminal(turn.status)) {
      throw new LifecycleError(
        'invalid_state',
        `turn ${turnId} is ${turn.status}; a terminal turn never changes again`,
      );
    }
    refuseIfHeld(core, `turn ${turnId}`, turn.claimOwner, turn.claimExpiresAt);
    const finals = finalRowCounts(core, turnId);
    if (finals.delivered > 0) {
      throw new LifecycleError(
        'invalid_state',
        `turn ${turnId} already has a delivered final reply; it is never replayed`,
      );
    }
    if (finals.pending > 0) {
      throw new LifecycleError(
        'invalid_state',
        `turn ${turnId} has a final reply still queued; retry that outbox row instead of replaying the turn`,
      );
    }
    moveTurn(core, turnId, [turn.status], 'failed_retryable', operator(by), {
      reason: 'replay requested by operator',
      set: 'next_attempt_at = ?, claim_owner = NULL, claim_expires_at = NULL',
      args: [core.now()],
    });
    core.live.delete(turnId);
  });
}

/** Makes a pending row due now. */
export function operatorRetry(core: Core, rowId: string, by: string): void {
  core.write(() => {
    const row = requireRow(core, rowId);
    if (!isOutboxPending(row.status)) {
      throw new LifecycleError(
        'invalid_state',
        `outbox row ${rowId} is ${row.status}; only queued or failed_retryable rows can be retried`,
      );
    }
    refuseIfHeld(core, `outbox row ${rowId}`, row.claimOwner, row.claimExpiresAt);
    core
      .stmt(
        `UPDATE message_outbox SET next_attempt_at = ?, claim_owner = NULL, claim_expires_at = NULL
         WHERE id = ? AND status IN ('queued', 'failed_retryable')`,
      )
      .run(core.now(), rowId);
    record(
      core,
      {
        kind: 'outbox',
        entityId: rowId,
        subjectId: row.turnId ?? rowId,
        from: row.status,
        to: row.status,
        reason: 'retry now requested by operator',
      },
      operator(by),
    );
  });
}

/** Gives up on a pending row; its turn is finalized at once if that decides it. */
export function operatorTerminate(core: Core, rowId: string, by: string): void {
  core.write(() => {
    const row = requireRow(core, rowId);
    const moved = moveRow(core, rowId, OUTBOX_PENDING_STATUSES, 'failed_terminal', operator(by), {
      reason: 'operator_terminated',
      set: "terminal_reason = 'operator_terminated'",
    });
    if (!moved) {
      throw new LifecycleError(
        'invalid_state',
        `outbox row ${rowId} is ${row.status}; only queued or failed_retryable rows can be terminated`,
      );
    }
    if (row.turnId && isFinalKind(row.dispatchKind)) finalizeTurn(core, row.turnId, {}, operator(by));
  });
}

/**
 * Prunes everything past retention now. Batch by batch, each its own transaction, so the write
 * lock is never held long; one audit entry with the totals.
 */
export function operatorPrune(core: Core, by: string): PruneResult {
  const total: PruneResult = { turns: 0, outbox: 0, history: 0 };
  const cutoff = core.now() - core.config.retentionMs;
  for (let i = 0; i < 1_000; i++) {
    const r = prune(core, cutoff);
    total.turns += r.turns;
    total.outbox += r.outbox;
    total.history += r.history;
    if (r.turns < core.config.maintenanceBatch && r.outbox < core.config.maintenanceBatch) break;
  }
  recordAction(core, `pruned ${total.turns} turns and ${total.outbox} outbox rows`, operator(by));
  return total;
}
