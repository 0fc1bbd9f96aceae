import { OUTBOX_PENDING_STATUSES, type OutboxRow, type Turn } from '../../shared/types';
import type { Core } from '../lifecycle/context';
import { finalizeTurn } from '../lifecycle/finalize';
import type { Who } from '../lifecycle/history';
import { expire, prune, type ExpiryResult, type PruneResult } from '../lifecycle/maintenance';
import { ack, beginSend, fail, moveRow } from '../lifecycle/outbox';
import { moveTurn, recordTurnFailure } from '../lifecycle/turns';
import { decidedTurns, dueFinalRows, replayableTurns, strayNonFinalRows, supersededTurns } from './candidates';
import { eachLimited, errorClassOf, runHandler, type DeliverHandler, type ReplayHandler } from './handlers';

const WORKER: Who = { actor: 'worker' };
const REPLAY: Who = { actor: 'replay' };

export interface PassOptions {
  deliver?: DeliverHandler | undefined;
  replay?: ReplayHandler | undefined;
  maxTurnsPerPass: number;
  concurrency: number;
  stop: AbortSignal;
}

export interface PassReport {
  nonFinalPruned: number;
  rowsDelivered: number;
  rowsFailed: number;
  rowsInvalid: number;
  turnsFinalized: number;
  turnsSuperseded: number;
  turnsUnroutable: number;
  turnsReplayed: number;
  turnsFailed: number;
  expiry: ExpiryResult;
  pruned: PruneResult;
}

export function emptyReport(): PassReport {
  return {
    nonFinalPruned: 0,
    rowsDelivered: 0,
    rowsFailed: 0,
    rowsInvalid: 0,
    turnsFinalized: 0,
    turnsSuperseded: 0,
    turnsUnroutable: 0,
    turnsReplayed: 0,
    turnsFailed: 0,
    expiry: { expiredRows: 0, lastChanceRows: 0, staleTurns: 0 },
    pruned: { turns: 0, outbox: 0, history: 0 },
  };
}

function parseError(json: string): string | null {
  try {
    JSON.parse(json);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Non-final rows are never replayed (their turn's replay regenerates them): terminalize them. */
export function pruneNonFinal(core: Core, report: PassReport): void {
  core.db
    .transaction(() => {
      for (const r of strayNonFinalRows(core, core.config.maintenanceBatch)) {
        const moved = moveRow(core, r.id, OUTBOX_PENDING_STATUSES, 'failed_terminal', WORKER, {
          reason: 'non_final_pruned',
          set: "terminal_reason = 'non_final_pruned'",
        });
        if (moved) report.nonFinalPruned++;
      }
    })
    .immediate();
}

/** Claims rows in one transaction; a row another worker claimed first is skipped. */
function claimRows(core: Core, rows: OutboxRow[]): OutboxRow[] {
  const now = core.now();
  const claim = core.stmt(
    `UPDATE message_outbox SET claim_owner = ?, claim_expires_at = ?
     WHERE id = ? AND status = ? AND (claim_expires_at IS NULL OR claim_expires_at <= ?)`,
  );
  const lease = now + core.config.handlerTimeoutMs + core.config.liveLeaseMs;
  return core.db
    .transaction(() => rows.filter((r) => claim.run(core.owner, lease, r.id, r.status, now).changes === 1))
    .immediate();
}

export async function outboxPass(core: Core, options: PassOptions, report: PassReport): Promise<void> {
  pruneNonFinal(core, report);
  const deliver = options.deliver;
  if (!deliver) return;
  const claimed = claimRows(core, dueFinalRows(core, core.config.maxRowsPerPass));
  await eachLimited(claimed, options.concurrency, async (candidate) => {
    const invalid = parseError(candidate.payload);
    if (invalid !== null) {
      fail(core, candidate.id, { error: `invalid payload: ${invalid}`, errorClass: 'permanent' }, WORKER);
      report.rowsInvalid++;
    } else {
      const row = beginSend(core, candidate.id); // an abort may have cancelled it since the claim
      if (!row) return;
      const result = await runHandler((signal) => deliver(row, { signal }), core.config.handlerTimeoutMs, options.stop);
      if (result.kind === 'stopped') return; // the claim's lease runs out and another pass retries it
      if (result.kind === 'ok') {
        if (ack(core, row.id, WORKER)) report.rowsDelivered++;
      } else {
        const error =
          result.kind === 'timeout'
            ? `delivery timed out after ${core.config.handlerTimeoutMs} ms`
            : String((result.error as Error)?.message ?? result.error);
        fail(core, row.id, { error, errorClass: result.kind === 'timeout' ? 'retryable' : errorClassOf(result.error) }, WORKER);
        report.rowsFailed++;
      }
    }
    if (candidate.turnId) finalizeTurn(core, candidate.turnId, {}, WORKER);
  });
}

function unroutable(turn: Turn): string | null {
  if (!turn.routeChannel || !turn.routeTo) return 'cannot be routed: the turn has no reply destination';
  const invalid = parseError(turn.payload);
  return invalid === null ? null : `cannot be replayed: invalid payload: ${invalid}`;
}

/** Claim = attempt: the count goes up before the replay runs, so a poison turn ends. */
function claimTurn(core: Core, turn: Turn): boolean {
  const now = core.now();
  return core.db
    .transaction(() => {
      const changed = core
        .stmt(
          `UPDATE message_turns SET status = 'running', attempt_count = attempt_count + 1, updated_at = ?,
             claim_owner = ?, claim_expires_at = ?
           WHERE id = ? AND status = ? AND next_attempt_at <= ? AND (claim_expires_at IS NULL OR claim_expires_at <= ?)`,
        )
        .run(now, core.owner, now + core.config.handlerTimeoutMs + core.config.liveLeaseMs, turn.id, turn.status, now, now)
        .changes;
      if (changed === 1) {
        core
          .stmt(
            `INSERT INTO message_history (kind, entity_id, subject_id, from_status, to_status, actor, reason, actor_name, at)
             VALUES ('turn', ?, ?, ?, 'running', 'replay', ?, ?, ?)`,
          )
          .run(turn.id, turn.id, turn.status, `replay attempt ${turn.attemptCount + 1}`, core.owner, now);
      }
      return changed === 1;
    })
    .immediate();
}

export async function turnPass(core: Core, options: PassOptions, report: PassReport): Promise<void> {
  for (const id of decidedTurns(core, core.config.maintenanceBatch)) {
    if (finalizeTurn(core, id, {}, WORKER).changed) report.turnsFinalized++;
  }
  for (const t of supersededTurns(core, core.config.maintenanceBatch)) {
    const reason = `superseded: turn ${t.supersededBy} of the same session was answered since`;
    if (moveTurn(core, t.id, ['accepted', 'running', 'delivery_pending', 'failed_retryable'], 'failed_terminal', WORKER, { reason })) {
      report.turnsSuperseded++;
    }
  }
  const replay = options.replay;
  if (!replay) return;
  const runnable: Turn[] = [];
  for (const turn of replayableTurns(core, options.maxTurnsPerPass)) {
    const why = unroutable(turn);
    if (why !== null) {
      if (moveTurn(core, turn.id, [turn.status], 'failed_terminal', WORKER, { reason: why })) report.turnsUnroutable++;
    } else if (turn.attemptCount >= core.config.turnMaxAttempts) {
      moveTurn(core, turn.id, [turn.status], 'failed_terminal', WORKER, {
        reason: `gave up after ${turn.attemptCount} attempts: ${turn.terminalReason ?? 'no reply'}`,
      });
      report.turnsFailed++;
    } else if (claimTurn(core, turn)) {
      runnable.push({ ...turn, status: 'running', attemptCount: turn.attemptCount + 1 });
    }
  }
  await eachLimited(runnable, options.concurrency, async (turn) => {
    core.live.add(turn.id);
    try {
      const result = await runHandler(
        (signal) => replay(turn, { signal, attempt: turn.attemptCount }),
        core.config.handlerTimeoutMs,
        options.stop,
      );
      if (result.kind === 'stopped') return;
      report.turnsReplayed++;
      if (result.kind === 'ok') {
        const status = finalizeTurn(core, turn.id, { ...(result.value ?? {}), counted: true }, REPLAY).status;
        if (status === 'failed_retryable' || status === 'failed_terminal') report.turnsFailed++;
      } else {
        const error =
          result.kind === 'timeout'
            ? `replay timed out after ${core.config.handlerTimeoutMs} ms`
            : `replay failed: ${String((result.error as Error)?.message ?? result.error)}`;
        recordTurnFailure(core, turn.id, error, REPLAY, { counted: true });
        report.turnsFailed++;
      }
    } finally {
      core.live.delete(turn.id);
    }
  });
}

export function maintenancePass(core: Core, report: PassReport): void {
  report.expiry = expire(core);
  report.pruned = prune(core);
}
