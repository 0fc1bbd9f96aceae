import { OUTBOX_PENDING_STATUSES, type Turn, type TurnStatus } from '../../../shared/types';
import { workerLeaseMs } from '../../lifecycle/claims';
import type { Who } from '../../lifecycle/history';
import { ROW } from '../../lifecycle/outbox';
import type { RecoveryStore } from '../contract';
import { claimTurnMove, endTurnMove, nonFinalPrunedMove } from '../worker-moves';
import { claimDueRows, decidedTurns, replayableTurns, strayNonFinalPick, supersededTurns } from './candidates';
import { tx, type PgCore } from './context';
import { expire } from './expiry';
import { finalizeTurn } from './finalize';
import { recordBeat, recordStopped } from './heartbeat';
import { prune } from './maintenance';
import { ack, beginSend, fail } from './outbox';
import { Params } from './params';
import { moveMany } from './transition';
import { moveTurn, recordTurnFailure } from './turns';

const WORKER: Who = { actor: 'worker' };
const REPLAY: Who = { actor: 'replay' };

/**
 * The recovery worker's steps on PostgreSQL. Workers on several nodes share the database: what
 * one claims (FOR UPDATE SKIP LOCKED, then its lease) the others skip, never wait for.
 */
export function pgRecovery(core: PgCore): RecoveryStore {
  const lease = workerLeaseMs(core);
  return {
    workerLeaseMs: lease,
    live: core.live,
    pruneNonFinal: (limit) =>
      tx(core, async (t) => {
        const b = new Params();
        const pick = strayNonFinalPick(b, core, t.now, limit);
        const move = nonFinalPrunedMove(t.now);
        return (await moveMany(t, core, ROW, b, pick, OUTBOX_PENDING_STATUSES, 'failed_terminal', WORKER, move)).length;
      }),
    claimDueRows: (limit) => claimDueRows(core, limit),
    beginSend: (id) => beginSend(core, id, lease),
    ack: (id) => ack(core, id, WORKER),
    fail: (id, input) => fail(core, id, input, WORKER),
    finalize: (id, options, actor) => finalizeTurn(core, id, options, actor === 'replay' ? REPLAY : WORKER),
    decidedTurns: (limit) => decidedTurns(core, limit),
    supersededTurns: (limit) => supersededTurns(core, limit),
    replayableTurns: (limit) => replayableTurns(core, limit),
    endTurn: (id, from: readonly TurnStatus[], reason) =>
      tx(core, (t) => moveTurn(t, core, id, from, 'failed_terminal', WORKER, endTurnMove(reason, t.now))),
    claimTurn: (turn: Turn) =>
      tx(core, (t) =>
        moveTurn(
          t,
          core,
          turn.id,
          [turn.status],
          'running',
          REPLAY,
          claimTurnMove(turn, core.owner, t.now, t.now + lease),
        ),
      ),
    recordReplayFailure: async (id, error) => {
      await recordTurnFailure(core, id, error, REPLAY, { counted: true });
    },
    expire: () => expire(core),
    prune: () => prune(core),
    recordBeat: (startedAt, beat) => recordBeat(core, startedAt, beat),
    recordStopped: () => recordStopped(core),
  };
}
