import { OUTBOX_PENDING_STATUSES, type OutboxRow, type Turn, type TurnStatus } from '../../../shared/types';
import { CLAIM_LAPSED, workerLeaseMs } from '../../lifecycle/claims';
import type { Core } from '../../lifecycle/context';
import { expire } from '../../lifecycle/expiry';
import { finalizeTurn } from '../../lifecycle/finalize';
import type { Who } from '../../lifecycle/history';
import { prune } from '../../lifecycle/maintenance';
import { ack, beginSend, fail, moveRow } from '../../lifecycle/outbox';
import { moveTurn, recordTurnFailure } from '../../lifecycle/turns';
import { recordBeat, recordStopped } from './heartbeat';
import type { RecoveryStore } from '../contract';
import { claimTurnMove, endTurnMove, nonFinalPrunedMove } from '../worker-moves';
import { decidedTurns, dueFinalRows, replayableTurns, strayNonFinalRows, supersededTurns } from './candidates';

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

/** The recovery worker's steps over one SQLite file: the sync core, answered as promises. */
export function sqliteRecovery(core: Core): RecoveryStore {
  return {
    workerLeaseMs: workerLeaseMs(core),
    live: core.live,
    pruneNonFinal: async (limit) =>
      core.write(() => {
        let n = 0;
        const now = core.now();
        for (const r of strayNonFinalRows(core, limit)) {
          if (moveRow(core, r.id, OUTBOX_PENDING_STATUSES, 'failed_terminal', WORKER, nonFinalPrunedMove(now))) n++;
        }
        return n;
      }),
    claimDueRows: async (limit) => claimRows(core, dueFinalRows(core, limit)),
    beginSend: async (id) => beginSend(core, id, workerLeaseMs(core)),
    ack: async (id) => ack(core, id, WORKER),
    fail: async (id, input) => fail(core, id, input, WORKER),
    finalize: async (id, options, actor) => finalizeTurn(core, id, options, actor === 'replay' ? REPLAY : WORKER),
    decidedTurns: async (limit) => decidedTurns(core, limit),
    supersededTurns: async (limit) => supersededTurns(core, limit),
    replayableTurns: async (limit) => replayableTurns(core, limit),
    endTurn: async (id, from: readonly TurnStatus[], reason) =>
      moveTurn(core, id, from, 'failed_terminal', WORKER, endTurnMove(reason, core.now())),
    claimTurn: async (turn: Turn) => {
      const now = core.now();
      const move = claimTurnMove(turn, core.owner, now, now + workerLeaseMs(core));
      return moveTurn(core, turn.id, [turn.status], 'running', REPLAY, move);
    },
    recordReplayFailure: async (id, error) => {
      recordTurnFailure(core, id, error, REPLAY, { counted: true });
    },
    expire: async () => expire(core),
    prune: async () => prune(core),
    recordBeat: async (startedAt, beat) => recordBeat(core, startedAt, beat),
    recordStopped: async () => recordStopped(core),
  };
}
