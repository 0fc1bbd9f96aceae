import { newId } from './ids';
import { toJson } from './payload';
import { isTurnTerminal, type Turn, type TurnStatus } from '../../shared/types';
import type { Core } from './context';
import { LifecycleError } from './errors';
import { record, type Who } from './history';
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

export function getTurn(core: Core, id: string): Turn | undefined {
  return core.stmt(`SELECT ${TURN_SELECT} FROM message_turns WHERE id = ?`).get(id) as Turn | undefined;
}

export function requireTurn(core: Core, id: string): Turn {
  const turn = getTurn(core, id);
  if (!turn) throw new LifecycleError('not_found', `no turn with id ${id}`);
  return turn;
}

function holdLive(core: Core, id: string): void {
  core.live.add(id);
}

export function acceptTurn(core: Core, input: AcceptInput): AcceptResult {
  return core.write((): AcceptResult => {
    const existing =
      (input.id !== undefined ? getTurn(core, input.id) : undefined) ??
      (input.dedupeKey != null
        ? (core.stmt(`SELECT ${TURN_SELECT} FROM message_turns WHERE dedupe_key = ?`).get(input.dedupeKey) as
            Turn | undefined)
        : undefined);
    if (existing) {
      if (input.resume && !isTurnTerminal(existing.status)) {
        holdLive(core, existing.id);
        return { outcome: 'resumed', turn: existing };
      }
      record(
        core,
        {
          kind: 'turn',
          entityId: existing.id,
          subjectId: existing.id,
          from: existing.status,
          to: existing.status,
          // A replay that arrives after its turn ended (an abort, say) is not a second message.
          reason: input.resume ? `resume of a ${existing.status} turn ignored` : 'duplicate inbound message ignored',
        },
        GATEWAY,
      );
      return { outcome: 'duplicate', turn: existing };
    }
    const now = core.now();
    const id = input.id ?? newId(now);
    core
      .stmt(
        `INSERT INTO message_turns (id, channel, account_id, external_id, dedupe_key, session_key, payload,
           route_channel, route_to, route_account_id, route_thread_id, route_reply_to_id,
           accepted_at, updated_at, status, attempt_count, next_attempt_at, claim_owner, claim_expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'accepted', 0, ?, ?, ?)`,
      )
      .run(
        id,
        input.channel,
        input.accountId ?? '',
        input.externalId ?? null,
        input.dedupeKey ?? null,
        input.sessionKey,
        toJson(input.payload),
        input.route.channel,
        input.route.to,
        input.route.accountId ?? null,
        input.route.threadId ?? null,
        input.route.replyToId ?? null,
        now,
        now,
        now,
        core.owner,
        now + core.config.liveLeaseMs,
      );
    record(core, { kind: 'turn', entityId: id, subjectId: id, from: null, to: 'accepted' }, GATEWAY);
    holdLive(core, id);
    return { outcome: 'accepted', turn: requireTurn(core, id) };
  });
}

export type { MoveOptions };

const TURN: Moving = {
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

/** accepted/failed_retryable → running; renews this process's hold on the turn. */
export function markRunning(core: Core, id: string, who: Who = GATEWAY): boolean {
  return core.write((): boolean => {
    const now = core.now();
    const lease = now + core.config.liveLeaseMs;
    if (getTurn(core, id)?.status === 'running') {
      // Renew only our own (or a lapsed) hold: another live process keeps the turn it is running.
      const renewed = core
        .stmt(
          `UPDATE message_turns SET ${TAKE_CLAIM}
           WHERE id = ? AND status = 'running' AND ${CLAIM_OURS_OR_FREE}`,
        )
        .run(...takeArgs(core, lease), id, core.owner, now).changes;
      if (renewed === 1) holdLive(core, id);
      return renewed === 1;
    }
    const moved = moveTurn(core, id, ['accepted', 'failed_retryable'], 'running', who, {
      set: 'claim_owner = ?, claim_expires_at = ?',
      args: [core.owner, lease],
      where: CLAIM_OURS_OR_FREE,
      whereArgs: [core.owner, now],
    });
    if (moved) holdLive(core, id);
    return moved;
  });
}

/** SPEC state machine: `delivery_pending` once a final reply is queued in the outbox. */
export function markDeliveryPending(core: Core, id: string, who: Who = GATEWAY): boolean {
  return moveTurn(core, id, ['accepted', 'running', 'failed_retryable'], 'delivery_pending', who, {
    reason: 'final reply queued',
  });
}

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
    const attempts = turn.attemptCount + (options.counted ? 0 : 1);
    core.live.delete(id);
    if (attempts >= core.config.turnMaxAttempts) {
      moveTurn(core, id, [turn.status], 'failed_terminal', who, {
        reason: `${error} (gave up after ${attempts} attempts)`,
        set: 'attempt_count = ?',
        args: [attempts],
      });
      return 'failed_terminal';
    }
    moveTurn(core, id, [turn.status], 'failed_retryable', who, {
      reason: error,
      set: 'attempt_count = ?, next_attempt_at = ?, terminal_reason = ?',
      args: [attempts, core.now() + core.config.turnBackoffMs, error],
      release: true,
    });
    return 'failed_retryable';
  });
}
