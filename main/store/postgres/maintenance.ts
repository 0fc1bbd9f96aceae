import { OUTBOX_DONE_STATUSES, TURN_TERMINAL_STATUSES } from '../../../shared/types';
import type { PruneResult } from '../../lifecycle/maintenance';
import { tx, type PgCore } from './context';

// SPEC "Outbox"/"Defaults" on PostgreSQL: terminal turns and done rows past the retention
// window are deleted with their timelines, one bounded batch (maintenanceBatch) per call, in
// one statement. Rows another transaction has locked are left for the next batch.

/** Deletes terminal turns and done rows past the retention window (before `cutoff`), with their timelines. */
export function prune(core: PgCore, cutoff?: number): Promise<PruneResult> {
  return tx(core, async (t) => {
    const before = cutoff ?? t.now - core.config.retentionMs;
    const r = await t.one<PruneResult>(
      `WITH turns AS (
         SELECT id FROM message_turns WHERE completed_at < $1 AND status = ANY($2::text[])
         LIMIT $4 FOR UPDATE SKIP LOCKED
       ),
       rows AS (
         SELECT id, turn_id FROM message_outbox WHERE completed_at < $1 AND status = ANY($3::text[])
         LIMIT $4 FOR UPDATE SKIP LOCKED
       ),
       history AS (
         DELETE FROM message_history
         WHERE subject_id IN (SELECT id FROM turns UNION ALL SELECT id FROM rows WHERE turn_id IS NULL)
         RETURNING 1
       ),
       gone_turns AS (DELETE FROM message_turns WHERE id IN (SELECT id FROM turns) RETURNING 1),
       gone_rows AS (DELETE FROM message_outbox WHERE id IN (SELECT id FROM rows) RETURNING 1)
       SELECT (SELECT count(*) FROM gone_turns) AS turns, (SELECT count(*) FROM gone_rows) AS outbox,
         (SELECT count(*) FROM history) AS history`,
      [before, TURN_TERMINAL_STATUSES, OUTBOX_DONE_STATUSES, core.config.maintenanceBatch],
    );
    return r!;
  });
}
