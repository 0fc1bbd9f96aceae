import type { Transition, Who } from '../../lifecycle/history';
import { operator } from '../../lifecycle/operator';
import type { PgCore, Tx } from './context';
import type { Params } from './params';

// Our core's timeline entries. The triggers (schema.ts) record only other writers; ours we
// INSERT with who, why and when (the transaction's now): one per status change or insert, the
// entries the SQLite core ends up with (its trigger writes them, ../../lifecycle/history.ts fills
// in who and why). Where a move of ours gives no reason, the trigger's fallback (terminal_reason
// or last_error of a move to a status that has one) is null too, so none is needed here.

const COLUMNS =
  'kind, entity_id, subject_id, from_status, to_status, actor, reason, actor_name, at, action, note, job_id';

/** Who made a change; for an operator's, which action, the reason they gave and the bulk job (core's Who). */
export type { Who };

/** The operator `by` doing `action`, with their reason and the bulk job, if any. */
export function operatorDoing(by: string, action: string, note?: string | null, jobId?: string | null): Who {
  return operator(by, action, note ?? undefined, jobId ?? undefined);
}

/** An entry of its own: a note without status change (a duplicate, a retry request) or an action. */
export async function record(t: Tx, core: PgCore, e: Transition, who: Who): Promise<void> {
  const values = [
    e.kind,
    e.entityId,
    e.subjectId,
    e.from,
    e.to,
    who.actor,
    e.reason ?? null,
    who.by ?? core.owner,
    t.now,
    who.action ?? null,
    who.note ?? null,
    who.jobId ?? null,
  ];
  await t.run(
    `INSERT INTO message_history (${COLUMNS}) VALUES (${values.map((_, i) => `$${i + 1}`).join(', ')})`,
    values,
  );
}

/** An action with no single subject (e.g. "prune now") in the audit trail. */
export function recordAction(t: Tx, core: PgCore, reason: string, who: Who): Promise<void> {
  return record(t, core, { kind: 'action', entityId: null, subjectId: null, from: null, to: null, reason }, who);
}

/**
 * The INSERT of one entry per row of `source` (a FROM item with columns id, subject and
 * from_status): the move of each to `to`, by `who`, now. For a data-modifying WITH.
 */
export function entriesFrom(
  b: Params,
  t: Tx,
  core: PgCore,
  kind: 'turn' | 'outbox',
  to: string,
  who: Who,
  reason: string | null | undefined,
  source: string,
): string {
  return `INSERT INTO message_history (${COLUMNS})
    SELECT ${b.p(kind)}::text, id, subject, from_status, ${b.p(to)}::text, ${b.p(who.actor)}::text,
      ${b.p(reason ?? null)}::text, ${b.p(who.by ?? core.owner)}::text, ${b.p(t.now)}::bigint,
      ${b.p(who.action ?? null)}::text, ${b.p(who.note ?? null)}::text, ${b.p(who.jobId ?? null)}::text
    FROM ${source}`;
}
