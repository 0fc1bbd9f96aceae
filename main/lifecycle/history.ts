import type { Actor } from '../../shared/types';
import type { Core } from './context';

export interface Who {
  actor: Actor;
  /** Operator identity or process owner; defaults to the process owner. */
  by?: string | undefined;
}

export interface Transition {
  kind: 'turn' | 'outbox' | 'action';
  entityId: string | null;
  subjectId: string | null;
  from: string | null;
  to: string | null;
  reason?: string | null | undefined;
}

/** Appends one entry to the timeline; callers run it inside the transition's transaction. */
export function record(core: Core, t: Transition, who: Who): void {
  core
    .stmt(
      `INSERT INTO message_history (kind, entity_id, subject_id, from_status, to_status, actor, reason, actor_name, at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(t.kind, t.entityId, t.subjectId, t.from, t.to, who.actor, t.reason ?? null, who.by ?? core.owner, core.now());
}
