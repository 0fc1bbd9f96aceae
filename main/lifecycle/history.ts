import type { Actor } from '../../shared/types';
import type { Core } from './context';

export interface Who {
  actor: Actor;
  /** Operator identity or process owner; defaults to the process owner. */
  by?: string | undefined;
  /** Operator actions: which one (message_history.action), the reason the person gave, the bulk job. */
  action?: string | undefined;
  note?: string | undefined;
  jobId?: string | undefined;
}

export interface Transition {
  kind: 'turn' | 'outbox' | 'action';
  entityId: string | null;
  subjectId: string | null;
  from: string | null;
  to: string | null;
  reason?: string | null | undefined;
}

/** Records an action that has no single subject (e.g. "prune now") in the audit trail. */
export function recordAction(core: Core, reason: string, who: Who, entityId: string | null = null): void {
  record(core, { kind: 'action', entityId, subjectId: null, from: null, to: null, reason }, who);
}

/**
 * Records a transition in the timeline; callers run it inside the transition's transaction,
 * right after the write. A status change or insert already has its entry, written by the
 * file's triggers for every writer (migration-v3.ts): ours only fills in who, why and when. Notes
 * without a status change (a duplicate, a retry request, an action) are entries of their own.
 */
export function record(core: Core, t: Transition, who: Who): void {
  const by = who.by ?? core.owner;
  const now = core.now();
  if (t.kind !== 'action' && t.from !== t.to) {
    // The entry the trigger just wrote is the file's last one (we hold the write lock): found by
    // the rowid's end, else by the subject's own entries.
    const args = [who.actor, t.reason ?? null, by, now, ...extra(who), t.subjectId, t.entityId];
    if (core.stmt(ANNOTATE_LAST_SQL).run(...args).changes === 1) return;
    if (core.stmt(ANNOTATE_SUBJECT_SQL).run(...args).changes === 1) return;
  }
  core
    .stmt(INSERT_SQL)
    .run(t.kind, t.entityId, t.subjectId, t.from, t.to, who.actor, t.reason ?? null, by, now, ...extra(who));
}

const extra = (who: Who): (string | null)[] => [who.action ?? null, who.note || null, who.jobId ?? null];

const ANNOTATE =
  'UPDATE message_history SET actor = ?, reason = coalesce(?, reason), actor_name = ?, at = ?, action = ?, note = ?, job_id = ?';
const ANNOTATE_LAST_SQL = `${ANNOTATE}
  WHERE id = (SELECT max(id) FROM message_history) AND subject_id = ? AND entity_id = ? AND actor_name IS NULL`;
const ANNOTATE_SUBJECT_SQL = `${ANNOTATE}
  WHERE id = (SELECT max(id) FROM message_history WHERE subject_id = ? AND entity_id = ?)`;
const INSERT_SQL = `INSERT INTO message_history (kind, entity_id, subject_id, from_status, to_status, actor, reason, actor_name, at,
  action, note, job_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
