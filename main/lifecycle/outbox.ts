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
import { outboxBackoff, type LifecycleConfig } from './config';
import type { Core } from './context';
import { LifecycleError } from './errors';
import { record, type Transition, type Who } from './history';
import { OUTBOX_SELECT } from './rows';
import { markDeliveryPending } from './turns';
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

const ROW_BY_ID_SQL = `SELECT ${OUTBOX_SELECT} FROM message_outbox WHERE id = ?`;
const ROW_BY_IDEMPOTENCY_SQL = `SELECT ${OUTBOX_SELECT} FROM message_outbox WHERE idempotency_key = ?`;
const TURN_STATUS_SQL = 'SELECT status FROM message_turns WHERE id = ?';

export function getRow(core: Core, id: string): OutboxRow | undefined {
  return core.stmt(ROW_BY_ID_SQL).get(id) as OutboxRow | undefined;
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
      const existing = core.stmt(ROW_BY_IDEMPOTENCY_SQL).get(input.idempotencyKey) as OutboxRow | undefined;
      if (existing) return { row: existing, duplicate: true };
    }
    const turnId = input.turnId ?? null;
    const now = core.now();
    const id = input.id ?? newId(now);
    const columns = newRowColumns(input, id, now, core.owner, core.config.liveLeaseMs);
    // The refusal's check is part of the INSERT (its turn must be there, not aborted), and the
    // row as written comes back from it: no read before or after. Nothing inserted: say why.
    const row = core.stmt(insertRowSql(columns)).get(...Object.values(columns), turnId, turnId) as
      OutboxRow | undefined;
    if (!row) {
      const turn = core.stmt(TURN_STATUS_SQL).get(turnId) as { status: string } | undefined;
      refuseEnqueue(turnId, turn?.status);
      throw new Error(`no outbox row was written for turn ${turnId}`);
    }
    record(core, { kind: 'outbox', entityId: id, subjectId: turnId ?? id, from: null, to: 'queued' }, GATEWAY);
    if (turnId !== null && isFinalKind(input.dispatchKind ?? null)) {
      markDeliveryPending(core, turnId);
    }
    return { row, duplicate: false };
  });
}

let insertRow: string | undefined;

/**
 * The INSERT … RETURNING of newRowColumns (their names are the same for every row), only if the
 * row has no turn or its turn is there and not aborted; binds the columns, then the turn id twice.
 */
function insertRowSql(columns: Record<string, unknown>): string {
  if (insertRow === undefined) {
    const names = Object.keys(columns);
    insertRow = `INSERT INTO message_outbox (${names.join(', ')}) SELECT ${names.map(() => '?').join(', ')}
      WHERE ? IS NULL OR EXISTS (SELECT 1 FROM message_turns WHERE id = ? AND status <> 'aborted')
      RETURNING ${OUTBOX_SELECT}`;
  }
  return insertRow;
}

/** SPEC "Guarded transitions": rows of a missing or already-aborted turn are refused. */
export function refuseEnqueue(turnId: string | null, turnStatus: string | undefined): void {
  if (turnId !== null && turnStatus === undefined) throw new LifecycleError('not_found', `no turn with id ${turnId}`);
  if (turnStatus === 'aborted') {
    throw new LifecycleError('turn_aborted', `turn ${turnId} was aborted; nothing more is sent for it`);
  }
}

/**
 * The columns of a new row: queued, due now, held by `owner` for the live lease when the caller
 * sends it now, else with a lapsed claim (the worker sends it).
 */
export function newRowColumns(
  input: EnqueueInput,
  id: string,
  now: number,
  owner: string,
  liveLeaseMs: number,
): Record<string, unknown> {
  return {
    id,
    turn_id: input.turnId ?? null,
    channel: input.channel,
    account_id: input.accountId ?? '',
    target: input.target ?? '',
    dispatch_kind: input.dispatchKind ?? null,
    payload: toJson(input.payload),
    queued_at: now,
    status: 'queued',
    attempt_count: 0,
    next_attempt_at: now,
    idempotency_key: input.idempotencyKey ?? null,
    claim_owner: owner,
    claim_expires_at: (input.live ?? true) ? now + liveLeaseMs : now,
  };
}

/**
 * Takes or renews the hold on a pending row (ours, free or lapsed) for a send. Binds now,
 * takeArgs(until), the id, then (owner, now).
 */
export const BEGIN_SEND_SQL = `UPDATE message_outbox SET last_attempt_at = ?, ${TAKE_CLAIM}
  WHERE id = ? AND status IN (${PENDING_ROW_SQL}) AND ${CLAIM_OURS_OR_FREE}`;

const BEGIN_SEND_RETURNING_SQL = `${BEGIN_SEND_SQL} RETURNING ${OUTBOX_SELECT}`;

/**
 * Call right before handing the row to the channel: returns the row if it may still be sent
 * (it is pending, so no abort cancelled it, and no other process holds it), else null. Takes or
 * renews this process's hold for `leaseMs`: the longest the send may take before another
 * process may send the row instead. Our own longer hold (a worker's) is never shortened.
 */
export function beginSend(core: Core, id: string, leaseMs = core.config.liveLeaseMs): OutboxRow | null {
  return core.write((): OutboxRow | null => {
    const now = core.now();
    const row = core.stmt(BEGIN_SEND_RETURNING_SQL).get(now, ...takeArgs(core, now + leaseMs), id, core.owner, now) as
      OutboxRow | undefined;
    return row ?? null;
  });
}

/** How an outbox row moves (transition.ts): a move to a done status completes it and ends its claim. */
export const ROW: Moving = {
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
    const moved = moveRow(core, id, OUTBOX_PENDING_STATUSES, 'delivered', who, ackMove(core.now()));
    if (!moved) recordLateAck(core, id, who);
    return moved;
  });
}

/** The move of an acked row to delivered: the attempt counts, its time is kept. */
export function ackMove(now: number): MoveOptions {
  return {
    set: 'attempt_count = attempt_count + 1, delivered_at = ?, last_attempt_at = COALESCE(last_attempt_at, ?)',
    args: [now, now],
  };
}

/** The timeline note of an ack that came after the row was done, or null if there is nothing to note. */
export function lateAckNote(row: OutboxRow | undefined): Transition | null {
  if (!row || row.status === 'delivered') return null;
  return {
    kind: 'outbox',
    entityId: row.id,
    subjectId: subjectOf(row),
    from: row.status,
    to: row.status,
    reason: `sent after it was ${row.status}${row.terminalReason ? ` (${row.terminalReason})` : ''}: the channel accepted it, but the cancellation had committed first, so it stays recorded as not delivered`,
  };
}

function recordLateAck(core: Core, id: string, who: Who): void {
  const note = lateAckNote(getRow(core, id));
  if (note) record(core, note, who);
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
    const { to, options } = failMove(core.config, row.attemptCount, input, onLastChance(core, id), core.now());
    moveRow(core, id, OUTBOX_PENDING_STATUSES, to, who, options);
    return to;
  });
}

/**
 * SPEC "Outbox": what a failed send does to a pending row that made `attemptCount` attempts
 * before this one. Retryable: backoff (claim released), or failed_terminal ('max_attempts') when
 * attempts are used up. Terminal or permanent: failed_terminal. On its last chance: expired.
 */
export function failMove(
  config: LifecycleConfig,
  attemptCount: number,
  input: FailInput,
  lastChance: boolean,
  now: number,
): { to: OutboxStatus; options: MoveOptions } {
  const attempts = attemptCount + 1;
  const common = 'attempt_count = ?, last_error = ?, error_class = ?, last_attempt_at = ?';
  const args = [attempts, input.error, input.errorClass, now];
  let to: OutboxStatus;
  let reason: string;
  if (lastChance) {
    to = 'expired';
    reason = 'expired';
  } else if (input.errorClass !== 'retryable') {
    to = 'failed_terminal';
    reason = input.error;
  } else if (attempts >= config.outboxMaxAttempts) {
    to = 'failed_terminal';
    reason = 'max_attempts';
  } else {
    return {
      to: 'failed_retryable',
      options: {
        reason: input.error,
        set: `${common}, next_attempt_at = ?`,
        args: [...args, now + outboxBackoff(config, attempts)],
        release: true,
      },
    };
  }
  return {
    to,
    options: {
      reason: to === 'failed_terminal' && reason !== input.error ? `${reason}: ${input.error}` : reason,
      set: `${common}, terminal_reason = ?`,
      args: [...args, reason],
    },
  };
}
