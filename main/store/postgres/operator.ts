import { OUTBOX_PENDING_STATUSES, isFinalKind } from '../../../shared/types';
import type { AbortResult } from '../../lifecycle/abort';
import type { PruneResult } from '../../lifecycle/maintenance';
import {
  MAX_PRUNE_BATCHES,
  RETRY_SQL,
  TERMINATE_MOVE,
  addPruned,
  pruneNote,
  refuseEmptyAbort,
  refuseReplay,
  refuseRetry,
  replayMove,
  retryNote,
  terminateRefused,
} from '../../lifecycle/operator';
import { abortIn } from './abort';
import { read, tx, type PgCore, type Tx } from './context';
import { finalRowCounts, finalizeIn } from './finalize';
import { operatorDoing, record, recordAction, type Who } from './history';
import { prune } from './maintenance';
import { moveRow, requireRow } from './outbox';
import { Params } from './params';
import { moveTurn, requireTurn } from './turns';

// Operator actions of the SPEC on PostgreSQL (../../lifecycle/operator.ts): each one
// transaction that locks what it decides on, refused with a clear error where it makes no
// sense, and recorded with who/what/when, the action's name and the reason the person gave.
// Each has its body on a transaction (…In) so that a bulk job's batch runs many in one.

export async function abortWith(t: Tx, core: PgCore, sessionKey: string, who: Who): Promise<AbortResult> {
  const result = await abortIn(t, core, sessionKey, who);
  refuseEmptyAbort(sessionKey, result);
  return result;
}

export function operatorAbort(core: PgCore, sessionKey: string, by: string, note?: string): Promise<AbortResult> {
  return tx(core, (t) => abortWith(t, core, sessionKey, operatorDoing(by, 'abort', note)));
}

/** Re-arms a turn for the recovery worker: failed_retryable, due now. */
export async function replayIn(t: Tx, core: PgCore, turnId: string, who: Who): Promise<void> {
  const turn = await requireTurn(t, turnId, true);
  refuseReplay(turn, await finalRowCounts(t, turnId), core.owner, t.now);
  await moveTurn(t, core, turnId, [turn.status], 'failed_retryable', who, replayMove(t.now));
  core.live.delete(turnId);
}

export function operatorReplay(core: PgCore, turnId: string, by: string, note?: string): Promise<void> {
  return tx(core, (t) => replayIn(t, core, turnId, operatorDoing(by, 'replay', note)));
}

/** Makes a pending row due now. */
export async function retryIn(t: Tx, core: PgCore, rowId: string, who: Who): Promise<void> {
  const row = await requireRow(t, rowId, true);
  refuseRetry(row, core.owner, t.now);
  const b = new Params();
  await t.run(b.bind(RETRY_SQL, [t.now, rowId]), b.values);
  await record(t, core, retryNote(row), who);
}

export function operatorRetry(core: PgCore, rowId: string, by: string, note?: string): Promise<void> {
  return tx(core, (t) => retryIn(t, core, rowId, operatorDoing(by, 'retry', note)));
}

/** Gives up on a pending row; its turn is finalized at once if that decides it. */
export async function terminateIn(t: Tx, core: PgCore, rowId: string, who: Who): Promise<void> {
  const { turnId } = await requireRow(t, rowId);
  // The turn before its row, the order abort locks them in.
  if (turnId) await t.run('SELECT 1 FROM message_turns WHERE id = $1 FOR UPDATE', [turnId]);
  const row = await requireRow(t, rowId, true);
  const moved = await moveRow(t, core, rowId, OUTBOX_PENDING_STATUSES, 'failed_terminal', who, TERMINATE_MOVE);
  if (!moved) throw terminateRefused(row);
  if (row.turnId && isFinalKind(row.dispatchKind)) await finalizeIn(t, core, row.turnId, {}, who);
}

export function operatorTerminate(core: PgCore, rowId: string, by: string, note?: string): Promise<void> {
  return tx(core, (t) => terminateIn(t, core, rowId, operatorDoing(by, 'terminate', note)));
}

/**
 * Prunes everything past retention now. Batch by batch, each its own transaction, so no lock
 * is held long; one audit entry with the totals.
 */
export async function operatorPrune(core: PgCore, by: string, note?: string): Promise<PruneResult> {
  const total: PruneResult = { turns: 0, outbox: 0, history: 0 };
  const cutoff = (await read(core, async (t) => t.now)) - core.config.retentionMs;
  for (let i = 0; i < MAX_PRUNE_BATCHES; i++) {
    if (!addPruned(total, await prune(core, cutoff), core.config.maintenanceBatch)) break;
  }
  await tx(core, (t) => recordAction(t, core, pruneNote(total), operatorDoing(by, 'prune', note)));
  return total;
}
