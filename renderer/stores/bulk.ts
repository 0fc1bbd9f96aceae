import { create } from 'zustand';
import type { BulkPreview } from '../../shared/api';
import type { BulkAction, BulkJob } from '../../shared/triage';
import type { OutboxFilter, TurnFilter } from '../../shared/views';
import { call, getTransport } from '../transport/client';
import { cleanFilter } from './list';
import { useStatusStore, writeBlockReason } from './status';
import { onRefresh, refreshAll } from './sync';

// Bulk actions by filter: "all N matching" → a preview (exact count, a sample, the filter in
// words) → a reason → a job on the server that reports progress as `job` events. The dialog is
// one for the whole app: closing it leaves the job running, and the topbar reopens it.

export type TurnBulkAction = Extract<BulkAction, 'replay' | 'replay-as-new' | 'abort'>;
export type OutboxBulkAction = Extract<BulkAction, 'retry' | 'resend' | 'terminate'>;

export type BulkTarget =
  | { list: 'turns'; filter: TurnFilter; actions: readonly TurnBulkAction[] }
  | { list: 'outbox'; filter: OutboxFilter; actions: readonly OutboxBulkAction[] };

export interface BulkWords {
  /** The button that starts it. */
  label: string;
  /** The dialog's title. */
  ask: string;
  /** What happened to a row it changed ("made due now"). */
  done: string;
  irreversible: boolean;
}

/** Each action in words: its button, its question, and what a row it changed went through. */
export const BULK_WORDS: Record<BulkAction, BulkWords> = {
  retry: { label: 'Retry now', ask: 'Retry all matching rows now?', done: 'made due now', irreversible: false },
  resend: { label: 'Resend', ask: 'Resend all matching rows?', done: 'resent as a new send', irreversible: false },
  terminate: { label: 'Terminate', ask: 'Terminate all matching rows?', done: 'stopped for good', irreversible: true },
  replay: { label: 'Replay', ask: 'Replay all matching turns?', done: 'set to run again', irreversible: false },
  'replay-as-new': {
    label: 'Replay as new turn',
    ask: 'Replay all matching turns as new turns?',
    done: 'replayed as a new turn',
    irreversible: false,
  },
  abort: {
    label: 'Abort sessions',
    ask: 'Abort the sessions of all matching turns?',
    done: 'aborted',
    irreversible: true,
  },
};

export interface BulkDialogState {
  target: BulkTarget;
  action: BulkAction;
  /** Null while counting. */
  preview: BulkPreview | null;
  previewError: string | null;
  reason: string;
  starting: boolean;
  startError: string | null;
  /** Set once started: the dialog then shows that job's progress. */
  jobId: string | null;
}

export interface BulkState {
  dialog: BulkDialogState | null;
  /** Every job this page has heard of, by id (from getBulkJobs and `job` events). */
  jobs: Record<string, BulkJob>;
  /** "All N matching": rows matching each filter a button shows, by filterKey. */
  matching: Record<string, number>;
  open(target: BulkTarget, action?: BulkAction): void;
  setAction(action: BulkAction): void;
  setReason(reason: string): void;
  start(): Promise<void>;
  cancelJob(id: string): Promise<void>;
  /** Closes the dialog; a job it started keeps running. */
  close(): void;
  /** Shows a job's progress (the topbar's indicator). */
  reopen(id: string): void;
  loadJobs(): Promise<void>;
  countMatching(target: BulkTarget): Promise<void>;
}

/** The filter as the API's bulk and export methods take it: no paging, no empty values. */
export function bulkFilter<F extends object>(filter: F): Omit<F, 'order' | 'limit' | 'cursor'> {
  const {
    order: _o,
    limit: _l,
    cursor: _c,
    ...rest
  } = filter as F & { order?: unknown; limit?: unknown; cursor?: unknown };
  return cleanFilter(rest) as Omit<F, 'order' | 'limit' | 'cursor'>;
}

export function filterKey(target: Pick<BulkTarget, 'list' | 'filter'>): string {
  return `${target.list}:${JSON.stringify(bulkFilter(target.filter))}`;
}

function previewArgs(target: BulkTarget, action: BulkAction) {
  return target.list === 'turns'
    ? { list: 'turns' as const, action: action as TurnBulkAction, filter: bulkFilter(target.filter) }
    : { list: 'outbox' as const, action: action as OutboxBulkAction, filter: bulkFilter(target.filter) };
}

let previewGen = 0;
/** The targets buttons on screen count (refreshed with the data, not more than every few seconds). */
const counted = new Map<string, BulkTarget>();
let lastRecount = 0;
const RECOUNT_GAP_MS = 3_000;

export const useBulkStore = create<BulkState>()((set, get) => {
  const preview = (): void => {
    const d = get().dialog;
    if (!d) return;
    const gen = ++previewGen;
    set({ dialog: { ...d, preview: null, previewError: null } });
    call('previewBulk', previewArgs(d.target, d.action)).then(
      (p) => {
        const now = get().dialog;
        if (gen !== previewGen || !now) return;
        set({ dialog: { ...now, preview: p }, matching: { ...get().matching, [filterKey(now.target)]: p.matching } });
      },
      (err: unknown) => {
        const now = get().dialog;
        if (gen === previewGen && now) set({ dialog: { ...now, previewError: (err as Error).message } });
      },
    );
  };

  return {
    dialog: null,
    jobs: {},
    matching: {},

    open(target, action) {
      const first = action ?? target.actions[0];
      if (!first) return;
      set({
        dialog: {
          target,
          action: first,
          preview: null,
          previewError: null,
          reason: '',
          starting: false,
          startError: null,
          jobId: null,
        },
      });
      preview();
    },

    setAction(action) {
      const d = get().dialog;
      if (!d || d.jobId || d.action === action) return;
      set({ dialog: { ...d, action } });
      preview();
    },

    setReason(reason) {
      const d = get().dialog;
      if (d) set({ dialog: { ...d, reason } });
    },

    async start() {
      const d = get().dialog;
      if (!d || d.jobId || d.starting) return;
      const blocked = writeBlockReason(useStatusStore.getState().info);
      if (blocked) {
        set({ dialog: { ...d, startError: blocked } });
        return;
      }
      set({ dialog: { ...d, starting: true, startError: null } });
      const reason = d.reason.trim();
      try {
        const job = await call('startBulk', { ...previewArgs(d.target, d.action), ...(reason ? { reason } : {}) });
        const now = get().dialog;
        // An event about the job may have come first: keep whichever knows more.
        const known = get().jobs[job.id];
        set({
          jobs: { ...get().jobs, [job.id]: known && known.done + known.refused > job.done + job.refused ? known : job },
        });
        if (now) set({ dialog: { ...now, starting: false, jobId: job.id } });
      } catch (err) {
        const now = get().dialog;
        if (now) set({ dialog: { ...now, starting: false, startError: (err as Error).message } });
      }
    },

    async cancelJob(id) {
      try {
        const job = await call('cancelBulk', { id });
        set({ jobs: { ...get().jobs, [id]: job } });
      } catch (err) {
        const d = get().dialog;
        if (d?.jobId === id) set({ dialog: { ...d, startError: (err as Error).message } });
      }
    },

    close() {
      previewGen++;
      if (!get().dialog?.starting) set({ dialog: null });
    },

    reopen(id) {
      const job = get().jobs[id];
      if (!job) return;
      const target = (
        job.list === 'turns'
          ? { list: 'turns', filter: job.filter, actions: [job.action] }
          : { list: 'outbox', filter: job.filter, actions: [job.action] }
      ) as BulkTarget;
      set({
        dialog: {
          target,
          action: job.action,
          preview: null,
          previewError: null,
          reason: job.reason ?? '',
          starting: false,
          startError: null,
          jobId: id,
        },
      });
    },

    async loadJobs() {
      try {
        const list = await call('getBulkJobs', {});
        const jobs = { ...get().jobs };
        for (const j of list) jobs[j.id] = j;
        set({ jobs });
      } catch {
        // an older server, or the file is gone: no jobs to show
      }
    },

    async countMatching(target) {
      const key = filterKey(target);
      counted.set(key, target);
      const action = target.actions[0];
      if (!action) return;
      try {
        const p = await call('previewBulk', previewArgs(target, action));
        set({ matching: { ...get().matching, [key]: p.matching } });
      } catch {
        const { [key]: _gone, ...rest } = get().matching;
        set({ matching: rest });
      }
    },
  };
});

/** A button stopped showing its count. */
export function forgetCount(target: Pick<BulkTarget, 'list' | 'filter'>): void {
  counted.delete(filterKey(target));
}

/** The jobs still running, oldest first. */
export function runningJobs(jobs: Record<string, BulkJob>): BulkJob[] {
  return Object.values(jobs)
    .filter((j) => j.state === 'running')
    .sort((a, b) => a.startedAt - b.startedAt);
}

let jobSync = false;

/** Listens for `job` events once for the page's lifetime, and asks which jobs already run. */
export function startJobSync(): void {
  if (jobSync) return;
  jobSync = true;
  getTransport().onEvent((event) => {
    if (event.type !== 'job') return;
    const before = useBulkStore.getState().jobs[event.job.id];
    useBulkStore.setState((s) => ({ jobs: { ...s.jobs, [event.job.id]: event.job } }));
    // A job that ended changed many rows at once: every view shows its result now.
    if (event.job.state !== 'running' && before?.state !== event.job.state) void refreshAll();
  });
  void useBulkStore.getState().loadJobs();
}

// A job's rows changed: if its end event was missed (the link dropped meanwhile), ask again.
onRefresh(async () => {
  if (runningJobs(useBulkStore.getState().jobs).length > 0) await useBulkStore.getState().loadJobs();
});

let trailing: ReturnType<typeof setTimeout> | null = null;

const recount = (): Promise<unknown> => {
  lastRecount = Date.now();
  return Promise.all([...counted.values()].map((t) => useBulkStore.getState().countMatching(t)));
};

onRefresh(async () => {
  if (counted.size === 0) return;
  const wait = lastRecount + RECOUNT_GAP_MS - Date.now();
  if (wait > 0) {
    // The last change of a burst is still counted, a moment later.
    trailing ??= setTimeout(() => {
      trailing = null;
      void recount();
    }, wait);
    return;
  }
  await recount();
});
