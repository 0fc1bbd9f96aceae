import { OUTBOX_PENDING_STATUSES, type OutboxRow, type Turn, type TurnStatus } from '../../../shared/types';
import { CLAIM_LAPSED, workerLeaseMs } from '../../lifecycle/claims';
import type { Core } from '../../lifecycle/context';
import { expire, type ExpiryResult } from '../../lifecycle/expiry';
import { finalizeTurn } from '../../lifecycle/finalize';
import type { Who } from '../../lifecycle/history';
import { ack, beginSend, fail, moveRow } from '../../lifecycle/outbox';
import { moveTurn, recordTurnFailure } from '../../lifecycle/turns';
import { recordBeat, recordStopped } from './heartbeat';
import type { RecoveryStore } from '../contract';
import { claimTurnMove, endTurnMove, nonFinalPrunedMove } from '../worker-moves';
import { decidedTurns, dueFinalRows, replayableTurns, strayNonFinalRows, supersededTurns } from './candidates';
import { pacedPrune } from './paced-prune';
import { BATCH_ROWS, Pacer } from './pacer';

const WORKER: Who = { actor: 'worker' };
const REPLAY: Who = { actor: 'replay' };

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

/**
 * The recovery worker's steps over one SQLite file: the sync core, answered as promises. Each
 * step is a short transaction; the maintenance steps (non-final rows, expiry, prune) split their
 * per-pass batch into transactions of BATCH_ROWS, and the pacer spaces them all out (pacer.ts),
 * so that neither the gateway's processes nor this thread's other calls wait long for a pass.
 */
export function sqliteRecovery(core: Core): RecoveryStore {
  const pacer = new Pacer(core.db, core.config.busyTimeoutMs);
  const step =
    <A extends unknown[], T>(fn: (...args: A) => T) =>
    (...args: A): Promise<T> =>
      pacer.run(() => fn(...args));
  const per = core.config.maintenanceBatch;
  return {
    workerLeaseMs: workerLeaseMs(core),
    live: core.live,
    pause: () => pacer.pause(),
    pruneNonFinal: async (limit) => {
      let moved = 0;
      await pacer.batches(limit, BATCH_ROWS, (batch) =>
        core.write(() => {
          const now = core.now();
          const rows = strayNonFinalRows(core, batch);
          for (const r of rows) {
            if (moveRow(core, r.id, OUTBOX_PENDING_STATUSES, 'failed_terminal', WORKER, nonFinalPrunedMove(now))) {
              moved++;
            }
          }
          return rows.length;
        }),
      );
      return moved;
    },
    claimDueRows: step((limit: number) => claimRows(core, dueFinalRows(core, limit))),
    beginSend: step((id: string) => beginSend(core, id, workerLeaseMs(core))),
    ack: step((id: string) => ack(core, id, WORKER)),
    fail: step((id: string, input: Parameters<RecoveryStore['fail']>[1]) => fail(core, id, input, WORKER)),
    finalize: step((id: string, options: Parameters<RecoveryStore['finalize']>[1], actor: 'worker' | 'replay') =>
      finalizeTurn(core, id, options, actor === 'replay' ? REPLAY : WORKER),
    ),
    decidedTurns: step((limit: number) => decidedTurns(core, limit)),
    supersededTurns: step((limit: number) => supersededTurns(core, limit)),
    replayableTurns: step((limit: number) => replayableTurns(core, limit)),
    endTurn: step((id: string, from: readonly TurnStatus[], reason: string) =>
      moveTurn(core, id, from, 'failed_terminal', WORKER, endTurnMove(reason, core.now())),
    ),
    claimTurn: step((turn: Turn) => {
      const now = core.now();
      const move = claimTurnMove(turn, core.owner, now, now + workerLeaseMs(core));
      return moveTurn(core, turn.id, [turn.status], 'running', REPLAY, move);
    }),
    recordReplayFailure: step((id: string, error: string) => {
      recordTurnFailure(core, id, error, REPLAY, { counted: true });
    }),
    expire: async () => {
      const total: ExpiryResult = { expiredRows: 0, lastChanceRows: 0, staleTurns: 0 };
      await pacer.batches(per, BATCH_ROWS, (batch) => {
        const r = expire(core, WORKER, batch);
        total.expiredRows += r.expiredRows;
        total.lastChanceRows += r.lastChanceRows;
        total.staleTurns += r.staleTurns;
        // A full batch of any kind: there may be more of it.
        return Math.min(batch, Math.max(r.expiredRows + r.lastChanceRows, r.staleTurns));
      });
      return total;
    },
    prune: () => pacedPrune(core, pacer, core.now() - core.config.retentionMs, per),
    recordBeat: step((startedAt: number, beat: Parameters<RecoveryStore['recordBeat']>[1]) =>
      recordBeat(core, startedAt, beat),
    ),
    recordStopped: step(() => recordStopped(core)),
  };
}
