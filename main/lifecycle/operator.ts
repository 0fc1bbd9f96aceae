import {
  OUTBOX_PENDING_STATUSES,
  isFinalKind,
  isOutboxPending,
  isTurnTerminal,
  type OutboxRow,
  type Turn,
} from '../../shared/types';
import { abortSession, type AbortResult } from './abort';
import { replayTurnAsNew, resendRow } from './dead-letters';
import type { Core } from './context';
import { LifecycleError } from './errors';
import { finalRowCounts, finalizeTurn, type FinalRowCounts } from './finalize';
import { record, recordAction, type Transition, type Who } from './history';
import { prune, type PruneResult } from './maintenance';
import { moveRow, requireRow } from './outbox';
import { PENDING_ROW_SQL } from './rules';
import type { MoveOptions } from './transition';
import { moveTurn, requireTurn } from './turns';

// Operator actions of the SPEC: each one transaction, refused with a clear error where it
// makes no sense, and recorded with who/what/when.

/** Who an operator action is recorded as: who, which action, the reason they gave, the bulk job it is part of. */
export const operator = (by: string, action?: string, note?: string, jobId?: string): Who => ({
  actor: 'operator',
  by,
  action,
  note,
  jobId,
});

type Claim = Pick<Turn, 'claimOwner' | 'claimExpiresAt'>;

/** Refuses to act on what another live process holds (its claim has not lapsed). */
export function refuseIfHeld(what: string, claim: Claim, owner: string, now: number): void {
  const { claimOwner, claimExpiresAt } = claim;
  if (claimOwner && claimOwner !== owner && claimExpiresAt !== null && claimExpiresAt > now) {
    throw new LifecycleError(
      'invalid_state',
      `${what} is being processed by ${claimOwner} until ${new Date(claimExpiresAt).toISOString()}; try again after that`,
    );
  }
}

/** An operator abort that found nothing open is refused (after the abort, which changed nothing). */
export function refuseEmptyAbort(sessionKey: string, result: AbortResult): void {
  if (result.turns === 0) {
    throw new LifecycleError('invalid_state', `session "${sessionKey}" has no open turns; nothing to abort`);
  }
}

export function operatorAbort(core: Core, sessionKey: string, by: string | Who, note?: string): AbortResult {
  const result = abortSession(core, sessionKey, asWho(by, 'abort', note));
  refuseEmptyAbort(sessionKey, result);
  return result;
}

/** A replay makes sense for an open turn nobody else holds, with no final reply delivered or pending. */
export function refuseReplay(turn: Turn, finals: FinalRowCounts, owner: string, now: number): void {
  const turnId = turn.id;
  if (isTurnTerminal(turn.status)) {
    throw new LifecycleError('invalid_state', `turn ${turnId} is ${turn.status}; a terminal turn never changes again`);
  }
  refuseIfHeld(`turn ${turnId}`, turn, owner, now);
  const { delivered, pending } = finals;
  if (delivered > 0) {
    throw new LifecycleError(
      'invalid_state',
      `turn ${turnId} already has a delivered final reply; it is never replayed`,
    );
  }
  if (pending > 0) {
    throw new LifecycleError(
      'invalid_state',
      `turn ${turnId} has a final reply still queued; retry that outbox row instead of replaying the turn`,
    );
  }
}

/** The re-arming move of an operator replay: failed_retryable, due now, unclaimed. */
export function replayMove(now: number): MoveOptions {
  return {
    reason: 'replay requested by operator',
    set: 'next_attempt_at = ?, claim_owner = NULL, claim_expires_at = NULL',
    args: [now],
  };
}

/** Re-arms a turn for the recovery worker: failed_retryable, due now. */
export function operatorReplay(core: Core, turnId: string, by: string | Who, note?: string): void {
  core.write(() => {
    const turn = requireTurn(core, turnId);
    refuseReplay(turn, finalRowCounts(core, turnId), core.owner, core.now());
    moveTurn(core, turnId, [turn.status], 'failed_retryable', asWho(by, 'replay', note), replayMove(core.now()));
    core.live.delete(turnId);
  });
}

/** A retry makes sense for a pending row nobody else holds. */
export function refuseRetry(row: OutboxRow, owner: string, now: number): void {
  if (!isOutboxPending(row.status)) {
    throw new LifecycleError(
      'invalid_state',
      `outbox row ${row.id} is ${row.status}; only queued or failed_retryable rows can be retried`,
    );
  }
  refuseIfHeld(`outbox row ${row.id}`, row, owner, now);
}

/** Makes a pending row due now and unclaimed: `?` binds now, then the row's id. */
export const RETRY_SQL = `UPDATE message_outbox SET next_attempt_at = ?, claim_owner = NULL, claim_expires_at = NULL
  WHERE id = ? AND status IN (${PENDING_ROW_SQL})`;

/** The timeline note of a retry request (not an attempt, no status change). */
export function retryNote(row: OutboxRow): Transition {
  return {
    kind: 'outbox',
    entityId: row.id,
    subjectId: row.turnId ?? row.id,
    from: row.status,
    to: row.status,
    reason: 'retry now requested by operator',
  };
}

/** Makes a pending row due now. */
export function operatorRetry(core: Core, rowId: string, by: string | Who, note?: string): void {
  core.write(() => {
    const row = requireRow(core, rowId);
    refuseRetry(row, core.owner, core.now());
    core.stmt(RETRY_SQL).run(core.now(), rowId);
    record(core, retryNote(row), asWho(by, 'retry', note));
  });
}

export const TERMINATE_MOVE: MoveOptions = {
  reason: 'operator_terminated',
  set: "terminal_reason = 'operator_terminated'",
};

/** Why a terminate did not happen: the row was not pending. */
export function terminateRefused(row: OutboxRow): LifecycleError {
  return new LifecycleError(
    'invalid_state',
    `outbox row ${row.id} is ${row.status}; only queued or failed_retryable rows can be terminated`,
  );
}

/** Gives up on a pending row; its turn is finalized at once if that decides it. */
export function operatorTerminate(core: Core, rowId: string, by: string | Who, note?: string): void {
  core.write(() => {
    const row = requireRow(core, rowId);
    const who = asWho(by, 'terminate', note);
    const moved = moveRow(core, rowId, OUTBOX_PENDING_STATUSES, 'failed_terminal', who, TERMINATE_MOVE);
    if (!moved) throw terminateRefused(row);
    if (row.turnId && isFinalKind(row.dispatchKind)) finalizeTurn(core, row.turnId, {}, who);
  });
}

/** Adds a prune batch to the totals; true while a full batch suggests there is more to prune. */
export function addPruned(total: PruneResult, batch: PruneResult, maintenanceBatch: number): boolean {
  total.turns += batch.turns;
  total.outbox += batch.outbox;
  total.history += batch.history;
  return batch.turns >= maintenanceBatch || batch.outbox >= maintenanceBatch;
}

/** The audit entry of a prune now. */
export function pruneNote(total: PruneResult): string {
  return `pruned ${total.turns} turns and ${total.outbox} outbox rows`;
}

/** Batches one operator prune runs at most. */
export const MAX_PRUNE_BATCHES = 1_000;

/**
 * Prunes everything past retention now. Batch by batch, each its own transaction, so the write
 * lock is never held long; one audit entry with the totals.
 */
export function operatorPrune(core: Core, by: string, note?: string): PruneResult {
  const total: PruneResult = { turns: 0, outbox: 0, history: 0 };
  const cutoff = core.now() - core.config.retentionMs;
  for (let i = 0; i < MAX_PRUNE_BATCHES; i++) {
    if (!addPruned(total, prune(core, cutoff), core.config.maintenanceBatch)) break;
  }
  recordPrune(core, total, by, note);
  return total;
}

/** The one audit entry of a prune now, with its totals. */
export function recordPrune(core: Core, total: PruneResult, by: string, note?: string): void {
  recordAction(core, pruneNote(total), operator(by, 'prune', note));
}

/** A person's name, or the Who of a bulk job's batch (which carries its job id). */
export function asWho(by: string | Who, action: string, note?: string): Who {
  return typeof by === 'string' ? operator(by, action, note) : { ...by, action };
}

/** Dead letters: a new row from a dead one (dead-letters.ts), recorded as the operator's. */
export function operatorResend(
  core: Core,
  rowId: string,
  by: string | Who,
  note?: string,
): { row: OutboxRow; created: boolean } {
  return core.write(() => resendRow(core, rowId, asWho(by, 'resend', note)));
}

/** A new turn from a dead one (dead-letters.ts), recorded as the operator's. */
export function operatorReplayAsNew(
  core: Core,
  turnId: string,
  by: string | Who,
  note?: string,
): { turn: Turn; created: boolean } {
  return core.write(() => replayTurnAsNew(core, turnId, asWho(by, 'replay-as-new', note)));
}
