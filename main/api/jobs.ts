import { randomUUID } from 'node:crypto';
import type { ApiArgs, BulkOutcome } from '../../shared/api';
import { filterText } from '../../shared/filter-text';
import type { BulkJob } from '../../shared/triage';
import type { OutboxFilter, TurnFilter } from '../../shared/views';
import { LifecycleError } from '../lifecycle/errors';
import type { LifecycleStore } from '../store/contract';
import { effectiveFilter, type BulkTarget } from './bulk-filter';

// Bulk actions by filter, run as jobs in the thread that owns the writes (the engine, or the
// CLI's process): the effective filter walked by cursor, newest first (so rows that arrive
// meanwhile are not taken), 100 ids per batch, each batch one transaction of the store that
// re-checks every row, the event loop left free between batches, cancellable between them, and
// one audit entry at the end. Jobs live in this process's memory only: a restart forgets them
// (what they did is in the file: the per-row timeline entries and the summary entry).

export type StartBulk = ApiArgs<'startBulk'>;

export interface BulkJobsOptions {
  store: LifecycleStore;
  /** Who the job's actions are recorded as. */
  operator: string;
  /** Told of a job's progress (at most every `throttleMs`) and always of its end. */
  emit?: (job: BulkJob) => void;
  /** Ids per batch (one transaction each); default 100. */
  batchSize?: number;
  /** Default 250 ms: at most 4 progress events a second. */
  throttleMs?: number;
}

/** How many refusals a job keeps to show (the count is exact). */
const REFUSALS_KEPT = 20;
/** Finished jobs kept for getBulkJobs, newest last. */
const FINISHED_KEPT = 50;

interface Running {
  job: BulkJob;
  cancel: boolean;
  done: Promise<BulkJob>;
}

export class BulkJobs {
  private readonly jobs = new Map<string, Running>();
  private readonly batchSize: number;
  private readonly throttleMs: number;

  constructor(private readonly options: BulkJobsOptions) {
    this.batchSize = options.batchSize ?? 100;
    this.throttleMs = options.throttleMs ?? 250;
  }

  /** Counts what can take the action, then runs the job in the background; answers it as it starts. */
  async start(args: StartBulk): Promise<BulkJob> {
    const { store } = this.options;
    const { reason, ...target } = args as BulkTarget & { reason?: string };
    const effective = effectiveFilter(target.action, target.filter as TurnFilter & OutboxFilter);
    const total = !effective
      ? 0
      : target.list === 'turns'
        ? await store.countTurns(effective)
        : await store.countOutbox(effective);
    const job: BulkJob = {
      id: `job-${randomUUID()}`,
      action: target.action,
      list: target.list,
      filter: { ...target.filter },
      filterText: filterText(target.list, target.filter),
      reason: reason?.trim() ? reason.trim() : null,
      by: this.options.operator,
      total,
      done: 0,
      refused: 0,
      refusals: [],
      state: 'running',
      startedAt: await store.now(),
      finishedAt: null,
      error: null,
    };
    const running: Running = { job, cancel: false, done: Promise.resolve(job) };
    running.done = this.run(running, target, effective);
    this.jobs.set(job.id, running);
    this.forgetOld();
    return { ...job, refusals: [...job.refusals] };
  }

  /** Every job of this process, oldest first. */
  list(): BulkJob[] {
    return [...this.jobs.values()].map((r) => snapshot(r.job));
  }

  /** Stops a running job after its current batch; what it did stays done. */
  cancel(id: string): BulkJob {
    const running = this.jobs.get(id);
    if (!running)
      throw new LifecycleError('not_found', `no bulk job ${id} in this process (jobs are forgotten on restart)`);
    if (running.job.state !== 'running') {
      throw new LifecycleError('invalid_state', `bulk job ${id} has already ended (${running.job.state})`);
    }
    running.cancel = true;
    return snapshot(running.job);
  }

  /** Resolves with the job once it ended (done, cancelled or failed). */
  wait(id: string): Promise<BulkJob> {
    const running = this.jobs.get(id);
    if (!running) return Promise.reject(new LifecycleError('not_found', `no bulk job ${id}`));
    return running.done.then(snapshot);
  }

  /** Cancels the running jobs and waits for them (on close). */
  async stop(): Promise<void> {
    for (const r of this.jobs.values()) r.cancel = true;
    await Promise.all([...this.jobs.values()].map((r) => r.done));
  }

  private async run(
    running: Running,
    target: BulkTarget,
    effective: (TurnFilter & OutboxFilter) | null,
  ): Promise<BulkJob> {
    const { store, operator } = this.options;
    const { job } = running;
    let lastEmit = 0;
    const progress = (): void => {
      const now = Date.now();
      if (now - lastEmit < this.throttleMs) return;
      lastEmit = now;
      this.options.emit?.(snapshot(job));
    };
    // An abort works on sessions: a session already aborted by an earlier batch is not asked twice.
    const sessions = new Set<string>();
    try {
      let cursor: string | null = null;
      while (effective && !running.cancel) {
        await yieldNow(); // the first batch too: start() has answered before any row changes
        if (running.cancel) break;
        const page: Batch = await this.page(target, effective, cursor, sessions);
        if (page.ids.length) {
          const outcomes = await store.operatorBatch(
            target.action,
            page.ids,
            operator,
            job.reason ?? undefined,
            job.id,
          );
          tally(job, outcomes, page.weight);
          progress();
        }
        if (!page.next) break;
        cursor = page.next;
      }
      job.state = running.cancel ? 'cancelled' : 'done';
    } catch (err) {
      job.state = 'failed';
      job.error = (err as Error).message ?? String(err);
    }
    job.finishedAt = await store.now().catch(() => Date.now());
    try {
      await store.recordBulkJob(snapshot(job));
    } catch (err) {
      job.error = `${job.error ? `${job.error}; ` : ''}its audit entry could not be written: ${(err as Error).message}`;
      if (job.state === 'done') job.state = 'failed';
    }
    this.options.emit?.(snapshot(job));
    return job;
  }

  /** The next batch of ids (session keys for an abort) of the effective filter, and where the walk goes on. */
  private async page(
    target: BulkTarget,
    effective: TurnFilter & OutboxFilter,
    cursor: string | null,
    sessions: Set<string>,
  ): Promise<Batch> {
    const { store } = this.options;
    const limit = this.batchSize;
    if (target.list === 'outbox') {
      const p = await store.listOutbox({ ...(effective as OutboxFilter), order: 'desc', limit, cursor });
      return { ids: p.items.map((r) => r.id), next: p.nextCursor };
    }
    const p = await store.listTurns({ ...(effective as TurnFilter), order: 'desc', limit, cursor });
    if (target.action !== 'abort') return { ids: p.items.map((t) => t.id), next: p.nextCursor };
    // The job counts turns (its total is a count of turns matching the filter): a session weighs
    // its matching open turns, also those on later pages, which its abort takes off the walk.
    const weight = new Map<string, number>();
    for (const key of new Set(p.items.map((t) => t.sessionKey))) {
      if (sessions.has(key)) continue;
      sessions.add(key);
      weight.set(key, await store.countTurns({ ...(effective as TurnFilter), sessionKey: key }));
    }
    return { ids: [...weight.keys()], next: p.nextCursor, weight };
  }

  private forgetOld(): void {
    const finished = [...this.jobs.values()].filter((r) => r.job.state !== 'running');
    for (const r of finished.slice(0, Math.max(0, finished.length - FINISHED_KEPT))) this.jobs.delete(r.job.id);
  }
}

/** One batch: the ids to act on and where the walk goes on; an abort's sessions weigh their turns. */
interface Batch {
  ids: string[];
  next: string | null;
  weight?: ReadonlyMap<string, number>;
}

function tally(job: BulkJob, outcomes: readonly BulkOutcome[], weight?: ReadonlyMap<string, number>): void {
  for (const o of outcomes) {
    const n = weight?.get(o.id) ?? 1;
    if (o.ok) {
      job.done += n;
      continue;
    }
    job.refused += n;
    if (job.refusals.length < REFUSALS_KEPT) job.refusals.push({ id: o.id, error: o.error ?? o.code ?? 'refused' });
  }
}

function snapshot(job: BulkJob): BulkJob {
  return { ...job, filter: { ...job.filter }, refusals: job.refusals.map((r) => ({ ...r })) };
}

/** Lets the thread's other work (calls, the worker's pass, other writers' turn at the lock) in. */
const yieldNow = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
