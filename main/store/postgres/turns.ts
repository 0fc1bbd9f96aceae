import { isTurnTerminal, type Turn, type TurnStatus } from '../../../shared/types';
import { takeArgs } from '../../lifecycle/claims';
import { LifecycleError } from '../../lifecycle/errors';
import type { Who } from './history';
import { newId } from '../../lifecycle/ids';
import type { MoveOptions } from '../../lifecycle/transition';
import {
  DELIVERY_PENDING_FROM,
  DELIVERY_PENDING_MOVE,
  RENEW_RUNNING_SQL,
  RUNNING_FROM,
  TURN,
  duplicateNote,
  newTurnColumns,
  runningMove,
  turnFailureMove,
  type AcceptInput,
  type AcceptResult,
  type FailureOptions,
} from '../../lifecycle/turns';
import { withGreatest } from './claims';
import { read, tx, type PgCore, type Tx } from './context';
import { record } from './history';
import { Params } from './params';
import { PG_TURN_SELECT } from './rows';
import { guardedMove, insertWithEntry } from './transition';

// Turns on PostgreSQL: the rules of ../../lifecycle/turns.ts. A decision that reads the turn
// first locks it (FOR UPDATE), so concurrent writers of the same turn take turns.

const GATEWAY: Who = { actor: 'gateway' };

export async function turnById(t: Tx, id: string, lock = false): Promise<Turn | undefined> {
  return t.one<Turn>(`SELECT ${PG_TURN_SELECT} FROM message_turns WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
}

export async function requireTurn(t: Tx, id: string, lock = false): Promise<Turn> {
  const turn = await turnById(t, id, lock);
  if (!turn) throw new LifecycleError('not_found', `no turn with id ${id}`);
  return turn;
}

export function getTurn(core: PgCore, id: string): Promise<Turn | undefined> {
  return read(core, (t) => turnById(t, id));
}

/** Guarded status change of a turn (transition.ts); a terminal turn leaves this process's registry. */
export async function moveTurn(
  t: Tx,
  core: PgCore,
  id: string,
  from: readonly TurnStatus[],
  to: TurnStatus,
  who: Who,
  options: MoveOptions = {},
): Promise<boolean> {
  const moved = await guardedMove(t, core, TURN, id, from, to, who, options);
  if (moved && isTurnTerminal(to)) core.live.delete(id);
  return moved;
}

async function existingTurn(t: Tx, input: AcceptInput): Promise<Turn | undefined> {
  return (
    (input.id !== undefined ? await turnById(t, input.id) : undefined) ??
    (input.dedupeKey != null
      ? await t.one<Turn>(`SELECT ${PG_TURN_SELECT} FROM message_turns WHERE dedupe_key = $1`, [input.dedupeKey])
      : undefined)
  );
}

async function seenBefore(t: Tx, core: PgCore, input: AcceptInput, existing: Turn): Promise<AcceptResult> {
  if (input.resume && !isTurnTerminal(existing.status)) {
    core.live.add(existing.id);
    return { outcome: 'resumed', turn: existing };
  }
  await record(t, core, duplicateNote(existing, input.resume), GATEWAY);
  return { outcome: 'duplicate', turn: existing };
}

export function acceptTurn(core: PgCore, input: AcceptInput): Promise<AcceptResult> {
  return tx(core, async (t): Promise<AcceptResult> => {
    const existing = await existingTurn(t, input);
    if (existing) return seenBefore(t, core, input, existing);
    const columns = newTurnColumns(input, input.id ?? newId(t.now), t.now, core.owner, core.config.liveLeaseMs);
    const turn = await insertWithEntry<Turn>(t, core, TURN, columns, 'ON CONFLICT DO NOTHING', PG_TURN_SELECT, GATEWAY);
    if (!turn) {
      // The same message accepted concurrently by another connection, which committed first.
      const raced = await existingTurn(t, input);
      if (!raced) throw new Error(`turn ${String(columns.id)} conflicted with a turn that is gone`);
      return seenBefore(t, core, input, raced);
    }
    core.live.add(turn.id);
    return { outcome: 'accepted', turn };
  });
}

/** accepted/failed_retryable → running; renews this process's hold on the turn. */
export function markRunning(core: PgCore, id: string, who: Who = GATEWAY): Promise<boolean> {
  return tx(core, async (t): Promise<boolean> => {
    const lease = t.now + core.config.liveLeaseMs;
    const turn = await t.one<{ status: string }>('SELECT status FROM message_turns WHERE id = $1 FOR UPDATE', [id]);
    let held: boolean;
    if (turn?.status === 'running') {
      const b = new Params();
      const sql = b.bind(withGreatest(RENEW_RUNNING_SQL), [...takeArgs(core, lease), id, core.owner, t.now]);
      held = (await t.run(sql, b.values)) === 1;
    } else {
      held = await moveTurn(t, core, id, RUNNING_FROM, 'running', who, runningMove(core.owner, t.now, lease));
    }
    if (held) core.live.add(id);
    return held;
  });
}

/** SPEC state machine: `delivery_pending` once a final reply is queued in the outbox. */
export function markDeliveryPending(t: Tx, core: PgCore, id: string, who: Who = GATEWAY): Promise<boolean> {
  return moveTurn(t, core, id, DELIVERY_PENDING_FROM, 'delivery_pending', who, DELIVERY_PENDING_MOVE);
}

/** recordTurnFailure inside a transaction: the turn is locked, then moved (turnFailureMove). */
export async function recordFailureIn(
  t: Tx,
  core: PgCore,
  id: string,
  error: string,
  who: Who,
  options: FailureOptions,
): Promise<TurnStatus | null> {
  const turn = await turnById(t, id, true);
  if (!turn || isTurnTerminal(turn.status)) return null;
  core.live.delete(id);
  const { to, options: move } = turnFailureMove(core.config, turn.attemptCount, error, options, t.now);
  await moveTurn(t, core, id, [turn.status], to, who, move);
  return to;
}

/**
 * A failed processing or recovery attempt: failed_retryable with backoff, or failed_terminal
 * once the turn has used its attempts. Returns the new status, or null if the turn was terminal.
 */
export function recordTurnFailure(
  core: PgCore,
  id: string,
  error: string,
  who: Who = GATEWAY,
  options: FailureOptions = {},
): Promise<TurnStatus | null> {
  return tx(core, (t) => recordFailureIn(t, core, id, error, who, options));
}
