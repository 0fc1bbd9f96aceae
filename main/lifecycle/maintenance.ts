import { OUTBOX_DONE_STATUSES, TURN_TERMINAL_STATUSES } from '../../shared/types';
import type { PruneResult } from '../../shared/views';
import { sqlList, type Core } from './context';

export type { PruneResult };

// SPEC "Outbox"/"Defaults": done rows and terminal turns are deleted after the retention window.

/**
 * Deletes terminal turns and done rows past the retention window, with their timelines: at most
 * `batch` of each, in one transaction. The status test is written `+status` so that the planner
 * ranges over completed_at (the oldest first, LIMIT stops early) instead of walking every
 * delivered turn in the status index and reading each one's completed_at: 2.5 ms instead of
 * 170 ms for 2,000 turns of a 1M-turn file.
 */
export function prune(
  core: Core,
  cutoff = core.now() - core.config.retentionMs,
  batch = core.config.maintenanceBatch,
): PruneResult {
  return core.write((): PruneResult => {
    const turnIds = JSON.stringify(
      (
        core
          .stmt(
            `SELECT id FROM message_turns WHERE completed_at < ? AND +status IN (${sqlList(TURN_TERMINAL_STATUSES)}) LIMIT ?`,
          )
          .all(cutoff, batch) as { id: string }[]
      ).map((r) => r.id),
    );
    const rows = core
      .stmt(
        `SELECT id, turn_id AS turnId FROM message_outbox
           WHERE completed_at < ? AND +status IN (${sqlList(OUTBOX_DONE_STATUSES)}) LIMIT ?`,
      )
      .all(cutoff, batch) as { id: string; turnId: string | null }[];
    const rowIds = JSON.stringify(rows.map((r) => r.id));
    const subjects = JSON.stringify(rows.filter((r) => r.turnId === null).map((r) => r.id));
    const history =
      core.stmt('DELETE FROM message_history WHERE subject_id IN (SELECT value FROM json_each(?))').run(turnIds)
        .changes +
      core.stmt('DELETE FROM message_history WHERE subject_id IN (SELECT value FROM json_each(?))').run(subjects)
        .changes;
    const turns = core
      .stmt('DELETE FROM message_turns WHERE id IN (SELECT value FROM json_each(?))')
      .run(turnIds).changes;
    const outbox = core
      .stmt('DELETE FROM message_outbox WHERE id IN (SELECT value FROM json_each(?))')
      .run(rowIds).changes;
    return { turns, outbox, history };
  });
}
