import { TURN_ACTIVE_STATUSES, type OutboxRow, type Turn } from '../../shared/types';
import type { LifecycleConfig } from '../lifecycle/config';
import type { ExpiryResult } from '../lifecycle/expiry';
import type { PruneResult } from '../lifecycle/maintenance';
import { invalidPayload, unroutable } from '../lifecycle/payload';
import type { RecoveryStore } from '../store/contract';
import { eachLimited, errorClassOf, runHandler, type DeliverHandler, type ReplayHandler } from './handlers';

export interface PassOptions {
  deliver?: DeliverHandler | undefined;
  replay?: ReplayHandler | undefined;
  maxTurnsPerPass: number;
  concurrency: number;
  stop: AbortSignal;
  config: LifecycleConfig;
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
async function recordAck(store: RecoveryStore, rowId: string): Promise<boolean> {
  try {
    return await store.ack(rowId);
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'locked') throw err;
    return store.ack(rowId);
  }
}

export async function outboxPass(store: RecoveryStore, options: PassOptions, report: PassReport): Promise<void> {
  report.nonFinalPruned += await store.pruneNonFinal(options.config.maintenanceBatch);
  const deliver = options.deliver;
  if (!deliver) return;
  const claimed = await store.claimDueRows(options.config.maxRowsPerPass);
  await eachLimited(claimed, options.concurrency, (candidate) =>
    isolated(options, report, `outbox row ${candidate.id}`, () =>
      deliverRow(store, deliver, candidate, options, report),
    ),
  );
}

async function deliverRow(
  store: RecoveryStore,
  deliver: DeliverHandler,
  candidate: OutboxRow,
  options: PassOptions,
  report: PassReport,
): Promise<void> {
  const timeoutMs = options.config.handlerTimeoutMs;
  const invalid = invalidPayload(candidate.payload);
  if (invalid !== null) {
    await store.fail(candidate.id, { error: invalid, errorClass: 'permanent' });
    report.rowsInvalid++;
  } else {
    // Null when an abort cancelled it since the claim, or when our claim lapsed while the row
    // waited for a free lane and another worker holds it now. The hold covers the handler's
    // timeout plus the time to record its outcome.
    const row = await store.beginSend(candidate.id);
    if (!row) return;
    const result = await runHandler((signal) => deliver(row, { signal }), timeoutMs, options.stop);
    if (result.kind === 'stopped') return; // the claim's lease runs out and another pass retries it
    if (result.kind === 'ok') {
      if (await recordAck(store, row.id)) report.rowsDelivered++;
    } else {
      const error =
        result.kind === 'timeout'
          ? `delivery timed out after ${timeoutMs} ms`
          : String((result.error as Error)?.message ?? result.error);
      await store.fail(row.id, {
        error,
        errorClass: result.kind === 'timeout' ? 'retryable' : errorClassOf(result.error),
      });
      report.rowsFailed++;
    }
  }
  if (candidate.turnId) await store.finalize(candidate.turnId, {}, 'worker');
}

export async function turnPass(store: RecoveryStore, options: PassOptions, report: PassReport): Promise<void> {
  const { config } = options;
  // A pass over a backlog is thousands of short transactions: paced, so that other writers
  // and this thread's other calls get their turn between them (RecoveryStore.pause).
  for (const id of await store.decidedTurns(config.maintenanceBatch)) {
    await isolated(options, report, `turn ${id}`, async () => {
      if ((await store.finalize(id, {}, 'worker')).changed) report.turnsFinalized++;
    });
    await store.pause?.();
  }
  for (const t of await store.supersededTurns(config.maintenanceBatch)) {
    const reason = `superseded: turn ${t.supersededBy} of the same session was answered since`;
    await isolated(options, report, `turn ${t.id}`, async () => {
      if (await store.endTurn(t.id, TURN_ACTIVE_STATUSES, reason)) report.turnsSuperseded++;
    });
    await store.pause?.();
  }
  const replay = options.replay;
  if (!replay) return;
  const runnable: Turn[] = [];
  for (const turn of await store.replayableTurns(options.maxTurnsPerPass)) {
    await isolated(options, report, `turn ${turn.id}`, async () => {
      const why = unroutable(turn);
      if (why !== null) {
        if (await store.endTurn(turn.id, [turn.status], why)) report.turnsUnroutable++;
      } else if (turn.attemptCount >= config.turnMaxAttempts) {
        const reason = `gave up after ${turn.attemptCount} attempts: ${turn.terminalReason ?? 'no reply'}`;
        if (await store.endTurn(turn.id, [turn.status], reason)) report.turnsFailed++;
      } else if (await store.claimTurn(turn)) {
        runnable.push({ ...turn, status: 'running', attemptCount: turn.attemptCount + 1 });
      }
    });
    await store.pause?.();
  }
  await eachLimited(runnable, options.concurrency, (turn) =>
    isolated(options, report, `turn ${turn.id}`, () => replayTurn(store, replay, turn, options, report)),
  );
}

async function replayTurn(
  store: RecoveryStore,
  replay: ReplayHandler,
  turn: Turn,
  options: PassOptions,
  report: PassReport,
): Promise<void> {
  const timeoutMs = options.config.handlerTimeoutMs;
  store.live.add(turn.id);
  try {
    const result = await runHandler(
      (signal) => replay(turn, { signal, attempt: turn.attemptCount }),
      timeoutMs,
      options.stop,
    );
    if (result.kind === 'stopped') return;
    report.turnsReplayed++;
    if (result.kind === 'ok') {
      const { status } = await store.finalize(turn.id, { ...(result.value ?? {}), counted: true }, 'replay');
      if (status === 'failed_retryable' || status === 'failed_terminal') report.turnsFailed++;
    } else {
      const error =
        result.kind === 'timeout'
          ? `replay timed out after ${timeoutMs} ms`
          : `replay failed: ${String((result.error as Error)?.message ?? result.error)}`;
      await store.recordReplayFailure(turn.id, error);
      report.turnsFailed++;
    }
  } finally {
    store.live.delete(turn.id);
  }
}

export async function maintenancePass(store: RecoveryStore, report: PassReport): Promise<void> {
  report.expiry = await store.expire();
  await store.pause?.();
  report.pruned = await store.prune();
}
