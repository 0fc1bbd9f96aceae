import { DeliveryError } from '../recovery/handlers';
import type { LifecycleStore } from '../store/contract';
import type { DispatchKind, OutboxRow, Turn } from '../../shared/types';
import type { Sink } from './sink';

// The two simulated gateways (the steady demo and the scripted incident) differ in what they
// answer and how the platform behaves, not in how a reply is written ahead and then sent.

/** The accept input that resumes a turn already stored (a replay re-enters the same turn). */
export function turnInput(turn: Turn) {
  return {
    id: turn.id,
    channel: turn.channel,
    accountId: turn.accountId,
    dedupeKey: turn.dedupeKey,
    sessionKey: turn.sessionKey,
    payload: turn.payload,
    route: { channel: turn.routeChannel, to: turn.routeTo },
  };
}

export interface ReplySteps {
  /** The latency between writing the row and sending it. */
  pause(): Promise<void>;
  /** The platform call: false when the row may no longer be sent (aborted, held). */
  send(row: OutboxRow): Promise<boolean>;
}

/**
 * Writes one reply to the outbox, then sends it; a delivery failure is recorded on the row.
 * Returns false when the turn can no longer send (aborted).
 */
export async function writeThenSend(
  store: LifecycleStore,
  turn: Turn,
  kind: DispatchKind,
  payload: unknown,
  steps: ReplySteps,
): Promise<boolean> {
  let row: OutboxRow;
  try {
    const result = await store.enqueue({
      turnId: turn.id,
      channel: turn.routeChannel,
      target: turn.routeTo,
      dispatchKind: kind,
      payload,
      idempotencyKey: `${turn.id}:${kind}`,
    });
    row = result.row;
    // A replay meets the rows its first run wrote: one already sent (or given up) stays so.
    if (result.duplicate && row.status !== 'queued' && row.status !== 'failed_retryable') return true;
  } catch (err) {
    if ((err as { code?: string }).code === 'turn_aborted') return false;
    throw err;
  }
  await steps.pause();
  try {
    if (await steps.send(row)) await store.ack(row.id);
  } catch (err) {
    await store.fail(row.id, {
      error: (err as Error).message,
      errorClass: err instanceof DeliveryError ? err.errorClass : 'retryable',
    });
  }
  return true;
}

/**
 * The platform accepted the send: the row is begun (false when it may no longer be sent:
 * aborted, or held by another process) and the send recorded in the sink.
 */
export async function beginAndRecord(store: LifecycleStore, sink: Sink, row: OutboxRow): Promise<boolean> {
  const begun = await store.beginSend(row.id);
  if (!begun) return false;
  sink.write({
    at: Date.now(),
    begunAt: begun.lastAttemptAt ?? undefined,
    by: store.owner,
    rowId: row.id,
    turnId: row.turnId,
    kind: row.dispatchKind,
    channel: row.channel,
    target: row.target,
    idempotencyKey: row.idempotencyKey,
    text: String((JSON.parse(row.payload) as { text?: unknown }).text ?? ''),
  });
  return true;
}
