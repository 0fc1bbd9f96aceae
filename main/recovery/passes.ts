import { OUTBOX_PENDING_STATUSES, TURN_ACTIVE_STATUSES, type OutboxRow, type Turn } from '../../shared/types';
import { CLAIM_LAPSED, workerLeaseMs } from '../lifecycle/claims';
import type { Core } from '../lifecycle/context';
import { finalizeTurn } from '../lifecycle/finalize';
import type { Who } from '../lifecycle/history';
import { expire, type ExpiryResult } from '../lifecycle/expiry';
import { prune, type PruneResult } from '../lifecycle/maintenance';
import { ack, beginSend, fail, moveRow } from '../lifecycle/outbox';
import { invalidPayload, unroutable } from '../lifecycle/payload';
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
  /** Called for each row or turn whose handling threw (e.g. still locked after busy_timeout). */
  onError?: ((error: Error) => void) | undefined;
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
  /** Rows and turns whose handling threw; each was counted here and the pass went on. */
  errors: number;
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
    errors: 0,
    expiry: { expiredRows: 0, lastChanceRows: 0, staleTurns: 0 },
    pruned: { turns: 0, outbox: 0, history: 0 },
  };
}

/** Non-final rows are never replayed (their turn's replay regenerates them): terminalize them. */
export function pruneNonFinal(core: Core, report: PassReport): void {
  core.write(() => {
    const now = core.now();
    for (const r of strayNonFinalRows(core, core.config.maintenanceBatch)) {
      const moved = moveRow(core, r.id, OUTBOX_PENDING_STATUSES, 'failed_terminal', WORKER, {
        reason: 'non_final_pruned',
        set: "terminal_reason = 'non_final_pruned'",
        where: CLAIM_LAPSED,
        whereArgs: [now],
      });
      if (moved) report.nonFinalPruned++;
    }
  });
}

/**
 * Runs one row's or turn's handling so that its failure is counted for it alone: the rest of
 * the pass goes on, and the error reaches the worker's 'error' listeners.
 */
async function isolated(options: PassOptions, report: PassReport, what: string, fn: () => unknown): Promise<void> {
  try {
    await fn();
  } catch (err) {
    report.errors++;
    const error = err instanceof Error ? err : new Error(String(err));
    options.onError?.(new Error(`${what}: ${error.message}`, { cause: error }));
  }
}

/** Records an ack; a send that happened is worth a second wait for the lock before giving up. */
function recordAck(core: Core, rowId: string): boolean {
  try {
    return ack(core, rowId, WORKER);
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'locked') throw err;
    return ack(core, rowId, WORKER);
  }
}

/** Claims rows in one transaction; a row another worker claimed first is skipped. */
function claimRows(core: Core, rows: OutboxRow[]): OutboxRow[] {
  return core.write(() => {
    const now = core.now();
    const claim = core.stmt(
      `UPDATE message_outbox SET claim_owner = ?, claim_expires_at = ?
       WHERE id = ? AND status = ? AND ${CLAIM_LAPSED}`,
    );
    const lease = now + workerLeaseMs(core);
    return rows.filter((r) => claim.run(core.owner, lease, r.id, r.status, now).changes === 1);
  });
}

export async function outboxPass(core: Core, options: PassOptions, report: PassReport): Promise<void> {
  pruneNonFinal(core, report);
  const deliver = options.deliver;
  if (!deliver) return;
  const claimed = claimRows(core, dueFinalRows(core, core.config.maxRowsPerPass));
  await eachLimited(claimed, options.concurrency, (candidate) =>
    isolated(options, report, `outbox row ${candidate.id}`, () =>
      deliverRow(core, deliver, candidate, options, report),
    ),
  );
}

async function deliverRow(
  core: Core,
  deliver: DeliverHandler,
  candidate: OutboxRow,
  options: PassOptions,
  report: PassReport,
): Promise<void> {
  const invalid = invalidPayload(candidate.payload);
  if (invalid !== null) {
    fail(core, candidate.id, { error: invalid, errorClass: 'permanent' }, WORKER);
    report.rowsInvalid++;
  } else {
    // Null when an abort cancelled it since the claim, or when our claim lapsed while the row
    // waited for a free lane and another worker holds it now. The hold covers the handler's
    // timeout plus the time to record its outcome.
    const row = beginSend(core, candidate.id, workerLeaseMs(core));
    if (!row) return;
    const result = await runHandler((signal) => deliver(row, { signal }), core.config.handlerTimeoutMs, options.stop);
    if (result.kind === 'stopped') return; // the claim's lease runs out and another pass retries it
    if (result.kind === 'ok') {
      if (recordAck(core, row.id)) report.rowsDelivered++;
    } else {
      const error =
        result.kind === 'timeout'
          ? `delivery timed out after ${core.config.handlerTimeoutMs} ms`
          : String((result.error as Error)?.message ?? result.error);
      fail(
        core,
        row.id,
        { error, errorClass: result.kind === 'timeout' ? 'retryable' : errorClassOf(result.error) },
        WORKER,
      );
      report.rowsFailed++;
    }
  }
  if (candidate.turnId) finalizeTurn(core, candidate.turnId, {}, WORKER);
}

/** Claim = attempt: the count goes up before the replay runs, so a poison turn ends. */
function claimTurn(core: Core, turn: Turn): boolean {
  const now = core.now();
  return moveTurn(core, turn.id, [turn.status], 'running', REPLAY, {
    reason: `replay attempt ${turn.attemptCount + 1}`,
    set: 'attempt_count = attempt_count + 1, claim_owner = ?, claim_expires_at = ?',
    args: [core.owner, now + workerLeaseMs(core)],
    where: `next_attempt_at <= ? AND ${CLAIM_LAPSED}`,
    whereArgs: [now, now],
  });
}

export async function turnPass(core: Core, options: PassOptions, report: PassReport): Promise<void> {
  for (const id of decidedTurns(core, core.config.maintenanceBatch)) {
    await isolated(options, report, `turn ${id}`, () => {
      if (finalizeTurn(core, id, {}, WORKER).changed) report.turnsFinalized++;
    });
  }
  for (const t of supersededTurns(core, core.config.maintenanceBatch)) {
    const reason = `superseded: turn ${t.supersededBy} of the same session was answered since`;
    await isolated(options, report, `turn ${t.id}`, () => {
      const now = core.now();
      const moved = moveTurn(core, t.id, TURN_ACTIVE_STATUSES, 'failed_terminal', WORKER, {
        reason,
        where: CLAIM_LAPSED,
        whereArgs: [now],
      });
      if (moved) report.turnsSuperseded++;
    });
  }
  const replay = options.replay;
  if (!replay) return;
  const runnable: Turn[] = [];
  for (const turn of replayableTurns(core, options.maxTurnsPerPass)) {
    await isolated(options, report, `turn ${turn.id}`, () => {
      const why = unroutable(turn);
      const free = { where: CLAIM_LAPSED, whereArgs: [core.now()] };
      if (why !== null) {
        if (moveTurn(core, turn.id, [turn.status], 'failed_terminal', WORKER, { reason: why, ...free })) {
          report.turnsUnroutable++;
        }
      } else if (turn.attemptCount >= core.config.turnMaxAttempts) {
        const moved = moveTurn(core, turn.id, [turn.status], 'failed_terminal', WORKER, {
          reason: `gave up after ${turn.attemptCount} attempts: ${turn.terminalReason ?? 'no reply'}`,
          ...free,
        });
        if (moved) report.turnsFailed++;
      } else if (claimTurn(core, turn)) {
        runnable.push({ ...turn, status: 'running', attemptCount: turn.attemptCount + 1 });
      }
    });
  }
  await eachLimited(runnable, options.concurrency, (turn) =>
    isolated(options, report, `turn ${turn.id}`, () => replayTurn(core, replay, turn, options, report)),
  );
}

async function replayTurn(
  core: Core,
  replay: ReplayHandler,
  turn: Turn,
  options: PassOptions,
  report: PassReport,
): Promise<void> {
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
}

export function maintenancePass(core: Core, report: PassReport): void {
  report.expiry = expire(core);
  report.pruned = prune(core);
}
