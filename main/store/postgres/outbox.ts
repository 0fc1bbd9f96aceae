import {
  OUTBOX_PENDING_STATUSES,
  isFinalKind,
  isOutboxPending,
  type OutboxRow,
  type OutboxStatus,
} from '../../../shared/types';
import { takeArgs } from '../../lifecycle/claims';
import { LifecycleError } from '../../lifecycle/errors';
import type { Who } from './history';
import { newId } from '../../lifecycle/ids';
import {
  BEGIN_SEND_SQL,
  ROW,
  ackMove,
  failMove,
  lateAckNote,
  newRowColumns,
  refuseEnqueue,
  type EnqueueInput,
  type EnqueueResult,
  type FailInput,
} from '../../lifecycle/outbox';
import type { MoveOptions } from '../../lifecycle/transition';
import { withGreatest } from './claims';
import { read, tx, type PgCore, type Tx } from './context';
import { record } from './history';
import { Params } from './params';
import { PG_OUTBOX_SELECT } from './rows';
import { guardedMove, insertWithEntry } from './transition';
import { markDeliveryPending } from './turns';

// The write-ahead outbox on PostgreSQL: the rules of ../../lifecycle/outbox.ts.

const GATEWAY: Who = { actor: 'gateway' };

export async function rowById(t: Tx, id: string, lock = false): Promise<OutboxRow | undefined> {
  return t.one<OutboxRow>(`SELECT ${PG_OUTBOX_SELECT} FROM message_outbox WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [
    id,
  ]);
}

export async function requireRow(t: Tx, id: string, lock = false): Promise<OutboxRow> {
  const row = await rowById(t, id, lock);
  if (!row) throw new LifecycleError('not_found', `no outbox row with id ${id}`);
  return row;
}

export function getRow(core: PgCore, id: string): Promise<OutboxRow | undefined> {
  return read(core, (t) => rowById(t, id));
}

/** Guarded row transition (transition.ts); false if the row was not in one of `from` (e.g. cancelled by abort). */
export function moveRow(
  t: Tx,
  core: PgCore,
  id: string,
  from: readonly OutboxStatus[],
  to: OutboxStatus,
  who: Who,
  options: MoveOptions = {},
): Promise<boolean> {
  return guardedMove(t, core, ROW, id, from, to, who, options);
}

function rowByKey(t: Tx, key: string): Promise<OutboxRow | undefined> {
  return t.one<OutboxRow>(`SELECT ${PG_OUTBOX_SELECT} FROM message_outbox WHERE idempotency_key = $1`, [key]);
}

/** Write-ahead: the row is committed before the caller attempts the send. */
export function enqueue(core: PgCore, input: EnqueueInput): Promise<EnqueueResult> {
  return tx(core, async (t): Promise<EnqueueResult> => {
    const key = input.idempotencyKey ?? null;
    const existing = key === null ? undefined : await rowByKey(t, key);
    if (existing) return { row: existing, duplicate: true };
    const turnId = input.turnId ?? null;
    // Locked, so an abort that committed first is seen here, and one that comes later waits
    // for this row and cancels it too.
    const turn =
      turnId === null
        ? undefined
        : await t.one<{ status: string }>('SELECT status FROM message_turns WHERE id = $1 FOR UPDATE', [turnId]);
    refuseEnqueue(turnId, turn?.status);
    const columns = newRowColumns(input, input.id ?? newId(t.now), t.now, core.owner, core.config.liveLeaseMs);
    const conflict = 'ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING';
    const row = await insertWithEntry<OutboxRow>(t, core, ROW, columns, conflict, PG_OUTBOX_SELECT, GATEWAY);
    if (!row) {
      // The same key queued concurrently by another connection, which committed first.
      const raced = key === null ? undefined : await rowByKey(t, key);
      if (!raced) throw new Error(`outbox row ${String(columns.id)} conflicted with a row that is gone`);
      return { row: raced, duplicate: true };
    }
    if (turnId !== null && isFinalKind(row.dispatchKind)) await markDeliveryPending(t, core, turnId);
    return { row, duplicate: false };
  });
}

/**
 * Call right before handing the row to the channel: the row if it may still be sent (pending,
 * and nobody else holds it), else null. Takes or renews this process's hold for `leaseMs`; our
 * own longer hold (a worker's) is never shortened.
 */
export function beginSend(core: PgCore, id: string, leaseMs: number): Promise<OutboxRow | null> {
  return tx(core, async (t) => {
    const b = new Params();
    const sql = b.bind(withGreatest(BEGIN_SEND_SQL), [
      t.now,
      ...takeArgs(core, t.now + leaseMs),
      id,
      core.owner,
      t.now,
    ]);
    return (await t.one<OutboxRow>(`${sql} RETURNING ${PG_OUTBOX_SELECT}`, b.values)) ?? null;
  });
}

/**
 * The channel accepted the send. False if the row was no longer pending (aborted, terminated…):
 * the cancellation wins, and the row's history says that the message was sent all the same.
 */
export function ack(core: PgCore, id: string, who: Who = GATEWAY): Promise<boolean> {
  return tx(core, async (t) => {
    const moved = await moveRow(t, core, id, OUTBOX_PENDING_STATUSES, 'delivered', who, ackMove(t.now));
    if (!moved) {
      const note = lateAckNote(await rowById(t, id));
      if (note) await record(t, core, note, who);
    }
    return moved;
  });
}

/**
 * A send failed (failMove). Returns the new status, or null if the row was no longer pending
 * (a late failure never reopens a done row).
 */
export function fail(core: PgCore, id: string, input: FailInput, who: Who = GATEWAY): Promise<OutboxStatus | null> {
  return tx(core, async (t) => {
    const row = await t.one<{ status: string; attemptCount: number; lastChance: number }>(
      'SELECT status, attempt_count AS "attemptCount", last_chance AS "lastChance" FROM message_outbox WHERE id = $1 FOR UPDATE',
      [id],
    );
    if (!row || !isOutboxPending(row.status)) return null;
    const { to, options } = failMove(core.config, row.attemptCount, input, row.lastChance === 1, t.now);
    await moveRow(t, core, id, OUTBOX_PENDING_STATUSES, to, who, options);
    return to;
  });
}
