import { OUTBOX_DEAD_STATUSES, TURN_DEAD_STATUSES, plainStatus, replayKey, resendKey } from '../../shared/triage';
import type { OutboxRow, Turn } from '../../shared/types';
import type { Core } from './context';
import { LifecycleError } from './errors';
import { newId } from './ids';
import { record, type Who } from './history';
import { newRowColumns, requireRow } from './outbox';
import { OUTBOX_SELECT, TURN_SELECT } from './rows';
import { newTurnColumns, requireTurn } from './turns';

// Dead letters (SPEC "Operator actions"): a terminal row or turn never changes, so what failed
// for good is sent again as a NEW row or turn linked to it, under a key derived from the
// original, so that a repeated request finds the first copy instead of sending twice.

/** Why a row cannot be resent, in plain words; null when it can. */
export function resendRefusal(row: OutboxRow, turnStatus: string | null): string | null {
  if (!(OUTBOX_DEAD_STATUSES as readonly string[]).includes(row.status)) {
    return `outbox row ${row.id} is ${plainStatus(row.status)}: only a send that failed for good or expired can be sent again`;
  }
  // SPEC "Abort": nothing of an aborted turn is sent after the abort, not even by a person.
  if (turnStatus === 'aborted' || row.terminalReason === 'turn_aborted') {
    return `outbox row ${row.id} belongs to turn ${row.turnId ?? '?'}, which was aborted: nothing of an aborted turn is sent again`;
  }
  return null;
}

/** Why a turn cannot be replayed as a new one, in plain words; null when it can. */
export function replayAsNewRefusal(turn: Turn): string | null {
  if ((TURN_DEAD_STATUSES as readonly string[]).includes(turn.status)) return null;
  return `turn ${turn.id} is ${plainStatus(turn.status)}: only a turn that failed for good or was aborted can be replayed as a new turn`;
}

const ROW_BY_KEY_SQL = `SELECT ${OUTBOX_SELECT} FROM message_outbox WHERE idempotency_key = ?`;
const TURN_BY_KEY_SQL = `SELECT ${TURN_SELECT} FROM message_turns WHERE dedupe_key = ?`;

let insertResend: string | undefined;
let insertReplay: string | undefined;

/**
 * The resend of a dead row, inside the caller's write: a direct send (no turn, no kind: it never
 * re-decides a terminal turn and is never pruned as non-final) with a lapsed claim, so that the
 * recovery worker of this very process delivers it (it is not a live send).
 */
export function resendRow(core: Core, rowId: string, who: Who): { row: OutboxRow; created: boolean } {
  const original = requireRow(core, rowId);
  const key = resendKey(original.id);
  const existing = core.stmt(ROW_BY_KEY_SQL).get(key) as OutboxRow | undefined;
  if (existing) return { row: existing, created: false };
  const turnStatus = original.turnId
    ? ((core.stmt('SELECT status FROM message_turns WHERE id = ?').pluck().get(original.turnId) as
        string | undefined) ?? null)
    : null;
  const refusal = resendRefusal(original, turnStatus);
  if (refusal) throw new LifecycleError('invalid_state', refusal);
  const now = core.now();
  const id = newId(now);
  const columns = {
    ...newRowColumns(
      {
        turnId: null,
        channel: original.channel,
        accountId: original.accountId,
        target: original.target,
        dispatchKind: null,
        payload: original.payload,
        idempotencyKey: key,
        live: false,
      },
      id,
      now,
      core.owner,
      core.config.liveLeaseMs,
    ),
    resend_of: original.id,
  };
  insertResend ??= insertSql('message_outbox', Object.keys(columns), OUTBOX_SELECT);
  const row = core.stmt(insertResend).get(...Object.values(columns)) as OutboxRow;
  record(
    core,
    { kind: 'outbox', entityId: id, subjectId: id, from: null, to: 'queued', reason: `resend of ${original.id}` },
    who,
  );
  const subjectId = original.turnId ?? original.id;
  const status = original.status;
  record(
    core,
    { kind: 'outbox', entityId: original.id, subjectId, from: status, to: status, reason: `resent as ${id}` },
    who,
  );
  return { row, created: true };
}

/**
 * The replay of a dead turn as a new one, inside the caller's write: the same message under the
 * dedupe key replayKey(original), accepted and due now, with a lapsed claim and NOT in this
 * process's live registry, so that a recovery worker replays it through the host's handler.
 */
export function replayTurnAsNew(core: Core, turnId: string, who: Who): { turn: Turn; created: boolean } {
  const original = requireTurn(core, turnId);
  const key = replayKey(original.id);
  const existing = core.stmt(TURN_BY_KEY_SQL).get(key) as Turn | undefined;
  if (existing) return { turn: existing, created: false };
  const refusal = replayAsNewRefusal(original);
  if (refusal) throw new LifecycleError('invalid_state', refusal);
  const now = core.now();
  const id = newId(now);
  const columns = {
    ...newTurnColumns(
      {
        channel: original.channel,
        accountId: original.accountId,
        externalId: original.externalId,
        dedupeKey: key,
        sessionKey: original.sessionKey,
        payload: original.payload,
        route: {
          channel: original.routeChannel,
          to: original.routeTo,
          accountId: original.routeAccountId,
          threadId: original.routeThreadId,
          replyToId: original.routeReplyToId,
        },
      },
      id,
      now,
      core.owner,
      core.config.liveLeaseMs,
    ),
    claim_expires_at: now,
    replay_of: original.id,
  };
  insertReplay ??= insertSql('message_turns', Object.keys(columns), TURN_SELECT);
  const turn = core.stmt(insertReplay).get(...Object.values(columns)) as Turn;
  record(
    core,
    { kind: 'turn', entityId: id, subjectId: id, from: null, to: 'accepted', reason: `replay of turn ${original.id}` },
    who,
  );
  const status = original.status;
  record(
    core,
    {
      kind: 'turn',
      entityId: original.id,
      subjectId: original.id,
      from: status,
      to: status,
      reason: `replayed as new turn ${id}`,
    },
    who,
  );
  return { turn, created: true };
}

function insertSql(table: string, names: readonly string[], returning: string): string {
  return `INSERT INTO ${table} (${names.join(', ')}) VALUES (${names.map(() => '?').join(', ')}) RETURNING ${returning}`;
}
