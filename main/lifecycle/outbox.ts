import { newId } from './ids';
import {
  OUTBOX_PENDING_STATUSES,
  isFinalKind,
  isOutboxPending,
  type DispatchKind,
  type ErrorClass,
  type OutboxRow,
  type OutboxStatus,
} from '../../shared/types';
import { outboxBackoff } from './config';
import type { Core } from './context';
import { LifecycleError } from './errors';
import { record, type Who } from './history';
import { OUTBOX_SELECT } from './rows';
import { getTurn, markDeliveryPending } from './turns';
import { guardedMove, type MoveOptions, type Moving } from './transition';
import { toJson } from './payload';
import { onLastChance } from './expiry';
import { CLAIM_OURS_OR_FREE, TAKE_CLAIM, takeArgs } from './claims';
import { PENDING_ROW_SQL } from './rules';

const GATEWAY: Who = { actor: 'gateway' };

export interface EnqueueInput {
  id?: string | undefined;
  turnId?: string | null | undefined;
  channel: string;
  accountId?: string | undefined;
  target?: string | undefined;
  /** `tool`, `block` or `final`; null/undefined is a direct send and counts as final. */
  dispatchKind?: DispatchKind | null | undefined;
  payload: unknown;
  idempotencyKey?: string | null | undefined;
  /**
   * The caller will send it now (default). The row is then held by this process for the live
   * lease, so the recovery worker does not send it a second time while the live send runs.
   */
  live?: boolean | undefined;
}

export interface EnqueueResult {
  row: OutboxRow;
  /** The idempotency key was already queued: nothing new was written. */
  duplicate: boolean;
}

export function getRow(core: Core, id: string): OutboxRow | undefined {
  return core.stmt(`SELECT ${OUTBOX_SELECT} FROM message_outbox WHERE id = ?`).get(id) as OutboxRow | undefined;
}

export function requireRow(core: Core, id: string): OutboxRow {
  const row = getRow(core, id);
  if (!row) throw new LifecycleError('not_found', `no outbox row with id ${id}`);
  return row;
}

function subjectOf(row: { id: string; turnId: string | null }): string {
  return row.turnId ?? row.id;
}

/** Write-ahead: the row is committed before the caller attempts the send. */
export function enqueue(core: Core, input: EnqueueInput): EnqueueResult {
  return core.write((): EnqueueResult => {
    if (input.idempotencyKey != null) {
      const existing = core
        .stmt(`SELECT ${OUTBOX_SELECT} FROM message_outbox WHERE idempotency_key = ?`)
        .get(input.idempotencyKey) as OutboxRow | undefined;
      if (existing) return { row: existing, duplicate: true };
    }
    const turnId = input.turnId ?? null;
    const turn = turnId === null ? undefined : getTurn(core, turnId);
    if (turnId !== null && !turn) throw new LifecycleError('not_found', `no turn with id ${turnId}`);
    if (turn?.status === 'aborted') {
      throw new LifecycleError('turn_aborted', `turn ${turnId} was aborted; nothing more is sent for it`);
    }
    const now = core.now();
    const id = input.id ?? newId(now);
    const live = input.live ?? true;
    const kind = input.dispatchKind ?? null;
    core
      .stmt(
        `INSERT INTO message_outbox (id, turn_id, channel, account_id, target, dispatch_kind, payload, queued_at,
           status, attempt_count, next_attempt_at, idempotency_key, claim_owner, claim_expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?, ?, ?)`,
      )
      .run(
        id,
        turnId,
        input.channel,
        input.accountId ?? '',
        input.target ?? '',
        kind,
        toJson(input.payload),
        now,
        now,
        input.idempotencyKey ?? null,
        core.owner,
        live ? now + core.config.liveLeaseMs : now, // not live: a lapsed claim, due at once
      );
    record(core, { kind: 'outbox', entityId: id, subjectId: turnId ?? id, from: null, to: 'queued' }, GATEWAY);
    if (turn && isFinalKind(kind)) {
      markDeliveryPending(core, turn.id);
    }
    return { row: getRow(core, id)!, duplicate: false };
  });
}

/**
 * Call right before handing the row to the channel: returns the row if it may still be sent
 * (it is pending, so no abort cancelled it, and no other process holds it), else null. Takes or
 * renews this process's hold for `leaseMs`: the longest the send may take before another
 * process may send the row instead. Our own longer hold (a worker's) is never shortened.
 */
export function beginSend(core: Core, id: string, leaseMs = core.config.liveLeaseMs): OutboxRow | null {
  return core.write((): OutboxRow | null => {
    const now = core.now();
    const row = core
      .stmt(
        `UPDATE message_outbox SET last_attempt_at = ?, ${TAKE_CLAIM}
         WHERE id = ? AND status IN (${PENDING_ROW_SQL}) AND ${CLAIM_OURS_OR_FREE} RETURNING ${OUTBOX_SELECT}`,
      )
      .get(now, ...takeArgs(core, now + leaseMs), id, core.owner, now) as OutboxRow | undefined;
    return row ?? null;
  });
}

const ROW: Moving = {
  kind: 'outbox',
  table: 'message_outbox',
  subject: 'coalesce(turn_id, id)',
  isDone: (status) => !isOutboxPending(status),
  always: () => ({ sql: '', args: [] }),
  done: (now) => ({ sql: 'completed_at = ?, claim_owner = NULL, claim_expires_at = NULL', args: [now] }),
};

/** Guarded row transition (transition.ts); false if the row was not in one of `from` (e.g. cancelled by abort). */
export function moveRow(
  core: Core,
  id: string,
  from: readonly OutboxStatus[],
  to: OutboxStatus,
  who: Who,
  options: MoveOptions = {},
): boolean {
  return guardedMove(core, ROW, id, from, to, who, options);
}

/**
 * The channel accepted the send. False if the row was no longer pending (aborted, terminated…):
 * the cancellation wins, and the row's history says that the message was sent all the same,
 * the only case where a sent message is recorded as not delivered.
 */
export function ack(core: Core, id: string, who: Who = GATEWAY): boolean {
  return core.write((): boolean => {
    const now = core.now();
    const moved = moveRow(core, id, OUTBOX_PENDING_STATUSES, 'delivered', who, {
      set: 'attempt_count = attempt_count + 1, delivered_at = ?, last_attempt_at = COALESCE(last_attempt_at, ?)',
      args: [now, now],
    });
    if (!moved) recordLateAck(core, id, who);
    return moved;
  });
}

function recordLateAck(core: Core, id: string, who: Who): void {
  const row = getRow(core, id);
  if (!row || row.status === 'delivered') return;
  record(
    core,
    {
      kind: 'outbox',
      entityId: id,
      subjectId: subjectOf(row),
      from: row.status,
      to: row.status,
      reason: `sent after it was ${row.status}${row.terminalReason ? ` (${row.terminalReason})` : ''}: the channel accepted it, but the cancellation had committed first, so it stays recorded as not delivered`,
    },
    who,
  );
}

export interface FailInput {
  error: string;
  errorClass: ErrorClass;
}

/**
 * A send failed. Retryable: backoff, or failed_terminal ('max_attempts') when attempts are used
 * up. Terminal or permanent: failed_terminal. Returns the new status, or null if the row was
 * no longer pending (a late failure never reopens a done row).
 */
export function fail(core: Core, id: string, input: FailInput, who: Who = GATEWAY): OutboxStatus | null {
  return core.write((): OutboxStatus | null => {
    const row = getRow(core, id);
    if (!row || !isOutboxPending(row.status)) return null;
    const attempts = row.attemptCount + 1;
    const now = core.now();
    const common = 'attempt_count = ?, last_error = ?, error_class = ?, last_attempt_at = ?';
    let to: OutboxStatus;
    let reason: string;
    if (onLastChance(core, id)) {
      to = 'expired';
      reason = 'expired';
    } else if (input.errorClass !== 'retryable') {
      to = 'failed_terminal';
      reason = input.error;
    } else if (attempts >= core.config.outboxMaxAttempts) {
      to = 'failed_terminal';
      reason = 'max_attempts';
    } else {
      moveRow(core, id, OUTBOX_PENDING_STATUSES, 'failed_retryable', who, {
        reason: input.error,
        set: `${common}, next_attempt_at = ?`,
        args: [attempts, input.error, input.errorClass, now, now + outboxBackoff(core.config, attempts)],
        release: true,
      });
      return 'failed_retryable';
    }
    moveRow(core, id, OUTBOX_PENDING_STATUSES, to, who, {
      reason: to === 'failed_terminal' && reason !== input.error ? `${reason}: ${input.error}` : reason,
      set: `${common}, terminal_reason = ?`,
      args: [attempts, input.error, input.errorClass, now, reason],
    });
    return to;
  });
}
