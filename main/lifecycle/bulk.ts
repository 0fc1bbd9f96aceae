import type { BulkOutcome } from '../../shared/api';
import type { BulkAction, BulkJob } from '../../shared/triage';
import type { Core } from './context';
import { LifecycleError } from './errors';
import { recordAction } from './history';
import {
  operator,
  operatorAbort,
  operatorReplay,
  operatorReplayAsNew,
  operatorResend,
  operatorRetry,
  operatorTerminate,
} from './operator';

// One batch of a bulk job (issue 11, "bulk by filter"): the single actions' own rules on each
// id, all in ONE transaction; a refusal is that id's outcome, not the batch's failure.

/** Runs `action` on one id (a session key for abort) as the single action does; what it created, if anything. */
function runOne(core: Core, action: BulkAction, id: string, who: ReturnType<typeof operator>): string | undefined {
  switch (action) {
    case 'retry':
      return (operatorRetry(core, id, who), undefined);
    case 'terminate':
      return (operatorTerminate(core, id, who), undefined);
    case 'replay':
      return (operatorReplay(core, id, who), undefined);
    case 'abort':
      return (operatorAbort(core, id, who), undefined);
    case 'resend':
      return operatorResend(core, id, who).row.id;
    case 'replay-as-new':
      return operatorReplayAsNew(core, id, who).turn.id;
  }
}

/**
 * In one write: each id re-checked and acted on in a savepoint of its own (a refusal undoes
 * whatever that id had written, nothing else). Per-row timeline entries carry `jobId`.
 */
export function operatorBatch(
  core: Core,
  action: BulkAction,
  ids: readonly string[],
  by: string,
  note: string | undefined,
  jobId: string,
): BulkOutcome[] {
  const who = operator(by, action, note, jobId);
  const one = core.db.transaction((id: string) => runOne(core, action, id, who));
  return core.write(() =>
    ids.map((id): BulkOutcome => {
      try {
        const created = one(id);
        return created === undefined ? { id, ok: true } : { id, ok: true, created };
      } catch (err) {
        if (!(err instanceof LifecycleError)) throw err;
        return { id, ok: false, error: err.message, code: err.code };
      }
    }),
  );
}

/** The audit entry of a bulk job, in words: what, by which filter, how many done and refused. */
export function bulkJobNote(job: BulkJob): string {
  const n = (x: number): string => x.toLocaleString('en-US');
  const ended =
    job.state === 'done' || job.state === 'running' ? '' : ` (${job.state}${job.error ? `: ${job.error}` : ''})`;
  return `bulk ${job.action} by filter (${job.filterText}): ${n(job.done)} done, ${n(job.refused)} refused${ended}`;
}

/** The ONE audit entry of a bulk job (its per-row entries, which carry its id, stay out of the audit). */
export function recordBulkJob(core: Core, job: BulkJob): void {
  // The summary names its job in entity_id (not job_id, which marks the per-row entries).
  core.write(() => recordAction(core, bulkJobNote(job), operator(job.by, 'bulk', job.reason ?? undefined), job.id));
}
