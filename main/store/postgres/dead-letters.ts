import { replayKey, resendKey } from '../../../shared/triage';
import { replayAsNewRefusal, resendRefusal } from '../../lifecycle/dead-letters';
import type { OutboxRow, Turn } from '../../../shared/types';
import { LifecycleError } from '../../lifecycle/errors';
import { newId } from '../../lifecycle/ids';
import { ROW, newRowColumns } from '../../lifecycle/outbox';
import { TURN } from '../../lifecycle/turns';
import { tx, type PgCore, type Tx } from './context';
import { operatorDoing, record, type Who } from './history';
import { requireRow } from './outbox';
import { PG_OUTBOX_SELECT, PG_TURN_SELECT } from './rows';
import { insertWithEntry } from './transition';
import { requireTurn } from './turns';

// Dead letters (SPEC "Operator actions"): a terminal row or turn never changes, so what failed
// for good is sent again as a NEW row (resend) or answered by a NEW turn (replay as new), linked
// to the original both ways in the timelines. The new one's key derives from the original's id:
// a repeat (a double click, two nodes) finds the first and creates nothing.

function rowByKey(t: Tx, key: string): Promise<OutboxRow | undefined> {
  return t.one<OutboxRow>(`SELECT ${PG_OUTBOX_SELECT} FROM message_outbox WHERE idempotency_key = $1`, [key]);
}

function turnByKey(t: Tx, key: string): Promise<Turn | undefined> {
  return t.one<Turn>(`SELECT ${PG_TURN_SELECT} FROM message_turns WHERE dedupe_key = $1`, [key]);
}

export async function resendIn(
  t: Tx,
  core: PgCore,
  rowId: string,
  who: Who,
): Promise<{ row: OutboxRow; created: boolean }> {
  const { turnId } = await requireRow(t, rowId);
  // The turn before its row, the order abort locks them in: an abort of it waits for this resend.
  const turn = turnId
    ? await t.one<{ status: string }>('SELECT status FROM message_turns WHERE id = $1 FOR UPDATE', [turnId])
    : undefined;
  const original = await requireRow(t, rowId, true);
  const key = resendKey(rowId);
  const repeat = await rowByKey(t, key);
  if (repeat) return { row: repeat, created: false };
  const refusal = resendRefusal(original, turn?.status ?? null);
  if (refusal) throw new LifecycleError('invalid_state', refusal);
  const columns = {
    // Not a live send (live: false): due now for the recovery worker of any node, this one's too.
    ...newRowColumns(
      {
        channel: original.channel,
        accountId: original.accountId,
        target: original.target,
        payload: original.payload,
        idempotencyKey: key,
        live: false,
      },
      newId(t.now),
      t.now,
      core.owner,
      core.config.liveLeaseMs,
    ),
    // A direct send: it never re-decides the original's terminal turn.
    turn_id: null,
    dispatch_kind: null,
    resend_of: rowId,
  };
  const conflict = 'ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING';
  const row = await insertWithEntry<OutboxRow>(
    t,
    core,
    ROW,
    columns,
    conflict,
    PG_OUTBOX_SELECT,
    who,
    `resend of ${rowId}`,
  );
  if (!row) {
    const raced = await rowByKey(t, key);
    if (!raced) throw new Error(`the resend of ${rowId} conflicted with a row that is gone`);
    return { row: raced, created: false };
  }
  const subjectId = original.turnId ?? original.id;
  await record(
    t,
    core,
    {
      kind: 'outbox',
      entityId: rowId,
      subjectId,
      from: original.status,
      to: original.status,
      reason: `resent as ${row.id}`,
    },
    who,
  );
  return { row, created: true };
}

export function operatorResend(
  core: PgCore,
  rowId: string,
  by: string,
  note?: string,
): Promise<{ row: OutboxRow; created: boolean }> {
  return tx(core, (t) => resendIn(t, core, rowId, operatorDoing(by, 'resend', note)));
}

export async function replayAsNewIn(
  t: Tx,
  core: PgCore,
  turnId: string,
  who: Who,
): Promise<{ turn: Turn; created: boolean }> {
  const original = await requireTurn(t, turnId, true);
  const key = replayKey(turnId);
  const repeat = await turnByKey(t, key);
  if (repeat) return { turn: repeat, created: false };
  const refusal = replayAsNewRefusal(original);
  if (refusal) throw new LifecycleError('invalid_state', refusal);
  // Accepted, due now, its claim lapsed and not in this process's registry: the recovery worker
  // of any node (this one's too) replays it through the host's replay handler, as a resumed turn.
  const columns = {
    id: newId(t.now),
    channel: original.channel,
    account_id: original.accountId,
    external_id: original.externalId,
    dedupe_key: key,
    session_key: original.sessionKey,
    payload: original.payload,
    route_channel: original.routeChannel,
    route_to: original.routeTo,
    route_account_id: original.routeAccountId,
    route_thread_id: original.routeThreadId,
    route_reply_to_id: original.routeReplyToId,
    accepted_at: t.now,
    updated_at: t.now,
    status: 'accepted',
    attempt_count: 0,
    next_attempt_at: t.now,
    claim_owner: core.owner,
    claim_expires_at: t.now,
    replay_of: turnId,
  };
  const turn = await insertWithEntry<Turn>(
    t,
    core,
    TURN,
    columns,
    'ON CONFLICT DO NOTHING',
    PG_TURN_SELECT,
    who,
    `replay of turn ${turnId}`,
  );
  if (!turn) {
    const raced = await turnByKey(t, key);
    if (!raced) throw new Error(`the replay of turn ${turnId} conflicted with a turn that is gone`);
    return { turn: raced, created: false };
  }
  await record(
    t,
    core,
    {
      kind: 'turn',
      entityId: turnId,
      subjectId: turnId,
      from: original.status,
      to: original.status,
      reason: `replayed as new turn ${turn.id}`,
    },
    who,
  );
  return { turn, created: true };
}

export function operatorReplayAsNew(
  core: PgCore,
  turnId: string,
  by: string,
  note?: string,
): Promise<{ turn: Turn; created: boolean }> {
  return tx(core, (t) => replayAsNewIn(t, core, turnId, operatorDoing(by, 'replay-as-new', note)));
}
