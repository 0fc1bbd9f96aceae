import type { BulkOutcome } from '../../../shared/api';
import type { BulkAction, BulkJob } from '../../../shared/triage';
import { bulkJobNote } from '../../lifecycle/bulk';
import { LifecycleError } from '../../lifecycle/errors';
import { tx, type PgCore, type Tx } from './context';
import { replayAsNewIn, resendIn } from './dead-letters';
import { operatorDoing, record, type Who } from './history';
import { abortWith, replayIn, retryIn, terminateIn } from './operator';

// A bulk job's batch (the API's job runner walks the filter and calls this per 100 ids): in ONE
// transaction, the action on each id with the same checks as the single action. A refusal is
// that id's outcome; another error of the database itself rolls back the whole batch.

type Step = (t: Tx, core: PgCore, id: string, who: Who) => Promise<string | undefined>;

const STEPS: Record<BulkAction, Step> = {
  retry: async (t, core, id, who) => void (await retryIn(t, core, id, who)),
  terminate: async (t, core, id, who) => void (await terminateIn(t, core, id, who)),
  replay: async (t, core, id, who) => void (await replayIn(t, core, id, who)),
  abort: async (t, core, key, who) => void (await abortWith(t, core, key, who)),
  resend: async (t, core, id, who) => (await resendIn(t, core, id, who)).row.id,
  'replay-as-new': async (t, core, id, who) => (await replayAsNewIn(t, core, id, who)).turn.id,
};

function lockTimeout(err: unknown, id: string): LifecycleError | null {
  if ((err as { code?: unknown } | null)?.code !== '55P03') return null;
  return new LifecycleError(
    'locked',
    `${id} stayed locked by another writer past the lock timeout; nothing was done to it`,
  );
}

export function operatorBatch(
  core: PgCore,
  action: BulkAction,
  ids: readonly string[],
  by: string,
  note: string | undefined,
  jobId: string,
): Promise<BulkOutcome[]> {
  const step = STEPS[action];
  if (!step) return Promise.reject(new LifecycleError('invalid_argument', `unknown bulk action ${String(action)}`));
  const who = operatorDoing(by, action, note, jobId);
  return tx(core, async (t) => {
    const outcomes: BulkOutcome[] = [];
    for (const id of ids) {
      // Each id in a savepoint of its own, as on SQLite: a refusal undoes whatever that id wrote.
      await t.run('SAVEPOINT lc_batch_one');
      try {
        const created = await step(t, core, id, who);
        await t.run('RELEASE SAVEPOINT lc_batch_one');
        outcomes.push(created === undefined ? { id, ok: true } : { id, ok: true, created });
      } catch (err) {
        // A row another transaction keeps locked past the lock timeout is that id's refusal too;
        // any other error of the database ends the batch (rolled back whole, run again if a deadlock).
        const refusal = err instanceof LifecycleError ? err : lockTimeout(err, id);
        if (!refusal) throw err;
        await t.run('ROLLBACK TO SAVEPOINT lc_batch_one');
        outcomes.push({ id, ok: false, error: refusal.message, code: refusal.code });
      }
    }
    return outcomes;
  });
}

/** The one audit entry of a bulk job: it names the job in entity_id (job_id marks its per-row entries, off the audit). */
export function recordBulkJob(core: PgCore, job: BulkJob): Promise<void> {
  return tx(core, (t) =>
    record(
      t,
      core,
      { kind: 'action', entityId: job.id, subjectId: null, from: null, to: null, reason: bulkJobNote(job) },
      operatorDoing(job.by, 'bulk', job.reason),
    ),
  );
}
