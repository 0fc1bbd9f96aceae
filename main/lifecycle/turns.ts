import { newId } from './ids';
import { toJson } from './payload';
import { isTurnTerminal, type Turn, type TurnStatus } from '../../shared/types';
import type { LifecycleConfig } from './config';
import type { Core } from './context';
import { LifecycleError } from './errors';
import { record, type Transition, type Who } from './history';
import { TURN_SELECT } from './rows';
import { CLAIM_OURS_OR_FREE, TAKE_CLAIM, takeArgs } from './claims';
import { guardedMove, type MoveOptions, type Moving } from './transition';

const GATEWAY: Who = { actor: 'gateway' };

export interface RouteInput {
  channel: string;
  to: string;
  accountId?: string | null | undefined;
  threadId?: string | null | undefined;
  replyToId?: string | null | undefined;
}

export interface AcceptInput {
  id?: string | undefined;
  channel: string;
  accountId?: string | undefined;
  externalId?: string | null | undefined;
  /** channel+account+conversation+message identity; a second accept with it is a duplicate. */
  dedupeKey?: string | null | undefined;
  sessionKey: string;
  /** The inbound message: an object (stored as JSON) or a JSON string as the gateway has it. */
  payload: unknown;
  route: RouteInput;
  /** The host is resuming this turn (a replay): inbound dedupe must not drop it. */
  resume?: boolean | undefined;
}

export interface AcceptResult {
  outcome: 'accepted' | 'duplicate' | 'resumed';
  turn: Turn;
}

const TURN_BY_ID_SQL = `SELECT ${TURN_SELECT} FROM message_turns WHERE id = ?`;
const TURN_BY_DEDUPE_SQL = `SELECT ${TURN_SELECT} FROM message_turns WHERE dedupe_key = ?`;

export function getTurn(core: Core, id: string): Turn | undefined {
  return core.stmt(TURN_BY_ID_SQL).get(id) as Turn | undefined;
}

export function requireTurn(core: Core, id: string): Turn {
  const turn = getTurn(core, id);
  if (!turn) throw new LifecycleError('not_found', `no turn with id ${id}`);
  return turn;
}

function holdLive(core: Core, id: string): void {
  core.live.add(id);
}

/** The columns of a new turn: accepted, due now, held by `owner` for the live lease. */
export function newTurnColumns(
  input: AcceptInput,
  id: string,
  now: number,
  owner: string,
  liveLeaseMs: number,
): Record<string, unknown> {
  return {
    id,
    channel: input.channel,
    account_id: input.accountId ?? '',
    external_id: input.externalId ?? null,
    dedupe_key: input.dedupeKey ?? null,
    session_key: input.sessionKey,
    payload: toJson(input.payload),
    route_channel: input.route.channel,
    route_to: input.route.to,
    route_account_id: input.route.accountId ?? null,
    route_thread_id: input.route.threadId ?? null,
    route_reply_to_id: input.route.replyToId ?? null,
    accepted_at: now,
    updated_at: now,
    status: 'accepted',
    attempt_count: 0,
    next_attempt_at: now,
    claim_owner: owner,
    claim_expires_at: now + liveLeaseMs,
  };
}

/** The timeline note of an accept that found its turn already there and does not resume it. */
export function duplicateNote(existing: Turn, resume: boolean | undefined): Transition {
  return {
    kind: 'turn',
    entityId: existing.id,
    subjectId: existing.id,
    from: existing.status,
    to: existing.status,
    // A replay that arrives after its turn ended (an abort, say) is not a second message.
    reason: resume ? `resume of a ${existing.status} turn ignored` : 'duplicate inbound message ignored',
  };
}

export function acceptTurn(core: Core, input: AcceptInput): AcceptResult {
  return core.write((): AcceptResult => {
    const now = core.now();
    const id = input.id ?? newId(now);
    const columns = newTurnColumns(input, id, now, core.owner, core.config.liveLeaseMs);
    let turn: Turn;
    try {
      // Insert first: a new message is the common case, and the unique keys (id, dedupe_key) are
      // what finds a duplicate anyway. The row as written comes back from the INSERT itself.
      turn = core.stmt(insertTurnSql(columns)).get(...Object.values(columns)) as Turn;
    } catch (err) {
      // A failed statement leaves nothing behind (its triggers' writes included).
      if (!isUniqueViolation(err)) throw err;
      return acceptExisting(core, input, err);
    }
    record(core, { kind: 'turn', entityId: id, subjectId: id, from: null, to: 'accepted' }, GATEWAY);
    holdLive(core, id);
    return { outcome: 'accepted', turn };
  });
}

function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

/** An accept whose id or dedupe key is already there: a duplicate, or the resume of that turn. */
function acceptExisting(core: Core, input: AcceptInput, violation: unknown): AcceptResult {
  const existing =
    (input.id !== undefined ? getTurn(core, input.id) : undefined) ??
    (input.dedupeKey != null ? (core.stmt(TURN_BY_DEDUPE_SQL).get(input.dedupeKey) as Turn | undefined) : undefined);
  if (!existing) throw violation;
  if (input.resume && !isTurnTerminal(existing.status)) {
    holdLive(core, existing.id);
    return { outcome: 'resumed', turn: existing };
  }
  record(core, duplicateNote(existing, input.resume), GATEWAY);
  return { outcome: 'duplicate', turn: existing };
}

let insertTurn: string | undefined;

/** The INSERT … RETURNING of newTurnColumns (their names are the same for every turn). */
function insertTurnSql(columns: Record<string, unknown>): string {
  if (insertTurn === undefined) {
    const names = Object.keys(columns);
    insertTurn = `INSERT INTO message_turns (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')})
      RETURNING ${TURN_SELECT}`;
  }
  return insertTurn;
}

export type { MoveOptions };

/** How a turn moves (transition.ts): every move touches updated_at; a terminal one ends its claim. */
export const TURN: Moving = {
  kind: 'turn',
  table: 'message_turns',
  subject: 'id',
  isDone: isTurnTerminal,
  always: (now) => ({ sql: 'updated_at = ?', args: [now] }),
  done: (now, reason) => ({
    sql: 'completed_at = ?, terminal_reason = ?, claim_owner = NULL, claim_expires_at = NULL',
    args: [now, reason],
  }),
};

/** Guarded status change of a turn (transition.ts); a terminal turn leaves this process's registry. */
export function moveTurn(
  core: Core,
  id: string,
  from: readonly TurnStatus[],
  to: TurnStatus,
  who: Who,
  options: MoveOptions = {},
): boolean {
  const moved = guardedMove(core, TURN, id, from, to, who, options);
  if (moved && isTurnTerminal(to)) core.live.delete(id);
  return moved;
}

/**
 * Renews the hold on a running turn, only our own (or a lapsed) one: another live process keeps
 * the turn it is running. Binds takeArgs(lease), the id, then (owner, now).
 */
export const RENEW_RUNNING_SQL = `UPDATE message_turns SET ${TAKE_CLAIM}
  WHERE id = ? AND status = 'running' AND ${CLAIM_OURS_OR_FREE}`;

export const RUNNING_FROM: readonly TurnStatus[] = ['accepted', 'failed_retryable'];

/** The move to running: held by `owner` until `lease`, unless another live process holds the turn. */
export function runningMove(owner: string, now: number, lease: number): MoveOptions {
  return {
    set: 'claim_owner = ?, claim_expires_at = ?',
    args: [owner, lease],
    where: CLAIM_OURS_OR_FREE,
    whereArgs: [owner, now],
  };
}

/** accepted/failed_retryable → running; renews this process's hold on the turn. */
export function markRunning(core: Core, id: string, who: Who = GATEWAY): boolean {
  return core.write((): boolean => {
    const now = core.now();
    const lease = now + core.config.liveLeaseMs;
    // The move first: it is what a gateway's turn does, and its guard fails on a running turn,
    // which is then renewed instead (no read of the turn either way).
    let held = moveTurn(core, id, RUNNING_FROM, 'running', who, runningMove(core.owner, now, lease));
    if (!held) held = core.stmt(RENEW_RUNNING_SQL).run(...takeArgs(core, lease), id, core.owner, now).changes === 1;
    if (held) holdLive(core, id);
    return held;
  });
}

/** SPEC state machine: `delivery_pending` once a final reply is queued in the outbox. */
export function markDeliveryPending(core: Core, id: string, who: Who = GATEWAY): boolean {
  return moveTurn(core, id, DELIVERY_PENDING_FROM, 'delivery_pending', who, DELIVERY_PENDING_MOVE);
}

export const DELIVERY_PENDING_FROM: readonly TurnStatus[] = ['accepted', 'running', 'failed_retryable'];
export const DELIVERY_PENDING_MOVE: MoveOptions = { reason: 'final reply queued' };

export interface FailureOptions {
  /** The attempt was already counted when it was claimed (recovery replays). */
  counted?: boolean | undefined;
}

/**
 * A failed processing or recovery attempt: failed_retryable with backoff, or failed_terminal
 * once the turn has used its attempts. Returns the new status, or null if the turn was terminal.
 */
export function recordTurnFailure(
  core: Core,
  id: string,
  error: string,
  who: Who = GATEWAY,
  options: FailureOptions = {},
): TurnStatus | null {
  return core.write((): TurnStatus | null => {
    const turn = getTurn(core, id);
    if (!turn || isTurnTerminal(turn.status)) return null;
    core.live.delete(id);
    const { to, options: move } = turnFailureMove(core.config, turn.attemptCount, error, options, core.now());
    moveTurn(core, id, [turn.status], to, who, move);
    return to;
  });
}

/**
 * SPEC "Turn state machine": a failed attempt is failed_retryable with backoff, or
 * failed_terminal once the turn has used its attempts; the move from the turn's status.
 */
export function turnFailureMove(
  config: LifecycleConfig,
  attemptCount: number,
  error: string,
  options: FailureOptions,
  now: number,
): { to: 'failed_retryable' | 'failed_terminal'; options: MoveOptions } {
  const attempts = attemptCount + (options.counted ? 0 : 1);
  if (attempts >= config.turnMaxAttempts) {
    return {
      to: 'failed_terminal',
      options: { reason: `${error} (gave up after ${attempts} attempts)`, set: 'attempt_count = ?', args: [attempts] },
    };
  }
  return {
    to: 'failed_retryable',
    options: {
      reason: error,
      set: 'attempt_count = ?, next_attempt_at = ?, terminal_reason = ?',
      args: [attempts, now + config.turnBackoffMs, error],
      release: true,
    },
  };
}
