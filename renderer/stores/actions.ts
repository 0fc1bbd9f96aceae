import { create } from 'zustand';
import type { AbortPreview, BulkResult } from '../../shared/api';
import type { PruneResult } from '../../shared/views';
import { formatDuration } from '../../shared/stuck';
import { call } from '../transport/client';
import { useStatusStore, writeBlockReason } from './status';
import { refreshAll } from './sync';

// Operator actions: each one is requested (a confirmation dialog opens, saying exactly what
// will change), then confirmed or cancelled. The outcome shows at once: every view refetches
// and a status message (or an error) says what happened. On a file open read-only nothing is
// requested at all: the buttons are disabled with the reason, and `request` refuses too.

export type ActionKind = 'abort' | 'replay' | 'retry' | 'terminate' | 'prune';

export interface ActionRequest {
  kind: ActionKind;
  /** Session keys for abort, turn ids for replay, outbox row ids for retry/terminate; none for prune. */
  targets: string[];
}

export interface PendingAction extends ActionRequest {
  /** For abort: what it would change (null while counting). */
  preview: AbortPreview | null;
  previewError: string | null;
}

export interface ActionsState {
  pending: PendingAction | null;
  busy: boolean;
  /** The last result, shown in the status line. */
  message: string | null;
  /** When what was requested will actually happen (BulkResult.note), under the message. */
  note: string | null;
  /** The last error, shown as an alert until dismissed or replaced. */
  error: string | null;
  /** Bumped after each finished action (views clear their selection). */
  done: number;
  request(action: ActionRequest): void;
  cancel(): void;
  confirm(): Promise<void>;
  dismissError(): void;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * Each action once: its buttons' label (the tables, the turn page, the overview) and whether it
 * can be undone. One that cannot is confirmed with a red button, its dialog says so, and its
 * buttons in the tables and on the turn page have a red outline.
 */
export const ACTIONS: Record<ActionKind, { label: string; irreversible: boolean }> = {
  replay: { label: 'Replay turn', irreversible: false },
  abort: { label: 'Abort session', irreversible: true },
  retry: { label: 'Retry now', irreversible: false },
  terminate: { label: 'Terminate', irreversible: true },
  prune: { label: 'Prune now', irreversible: true },
};

function list(ids: string[], max = 3): string {
  const shown = ids.slice(0, max).join(', ');
  return ids.length > max ? `${shown} and ${ids.length - max} more` : shown;
}

/** "session s-1" / "3 sessions (s-1, s-2, s-3)". */
function named(ids: string[], one: string, many: string): string {
  return ids.length === 1 ? `${one} ${ids[0]}` : `${ids.length} ${many} (${list(ids)})`;
}

/** "Replay turn?" / "Replay 3 turns?". */
function ask(n: number, verb: string, one: string, many: string, tail = ''): string {
  return `${verb} ${n === 1 ? one : `${n} ${many}`}${tail}?`;
}

const them = (n: number): string => (n === 1 ? 'it' : 'them');

function retention(): string {
  const ms = useStatusStore.getState().info?.retentionMs;
  return ms === undefined ? 'the retention window' : formatDuration(ms);
}

/** The dialog's title and the sentence saying exactly what will change (and `danger`: for good). */
export function describe(p: PendingAction): { title: string; body: string; danger: boolean } {
  const { title, body } = what(p);
  const { irreversible } = ACTIONS[p.kind];
  return { title, body: irreversible ? `${body} This cannot be undone.` : body, danger: irreversible };
}

function what(p: PendingAction): { title: string; body: string } {
  const n = p.targets.length;
  switch (p.kind) {
    case 'abort': {
      const counts = p.preview
        ? `${plural(p.preview.turns, 'turn')} and ${plural(p.preview.outbox, 'pending send')}`
        : p.previewError
          ? `an unknown number of turns and pending sends (${p.previewError})`
          : 'counting turns and pending sends…';
      return {
        title: ask(n, 'Abort', 'session', 'sessions'),
        body: `This aborts ${counts} of ${named(p.targets, 'session', 'sessions')}: its open turns become aborted and their queued or retrying sends are cancelled (failed_terminal, turn_aborted). Nothing more is sent for them.`,
      };
    }
    case 'replay':
      return {
        title: ask(n, 'Replay', 'turn', 'turns'),
        body: `${named(p.targets, 'Turn', 'turns')} ${n === 1 ? 'is' : 'are'} re-armed: status failed_retryable, due now. The recovery worker runs ${them(n)} again on its next pass.`,
      };
    case 'retry':
      return {
        title: ask(n, 'Retry', 'send', 'sends', ' now'),
        body: `${named(p.targets, 'Outbox row', 'outbox rows')} ${n === 1 ? 'becomes' : 'become'} due now; the recovery worker sends ${them(n)} on its next pass. Status and attempt count do not change until then.`,
      };
    case 'terminate':
      return {
        title: ask(n, 'Terminate', 'send', 'sends'),
        body: `${named(p.targets, 'Outbox row', 'outbox rows')} ${n === 1 ? 'becomes' : 'become'} failed_terminal (operator_terminated) and ${n === 1 ? 'is' : 'are'} never sent. A turn whose final reply this was is finalized.`,
      };
    case 'prune':
      return {
        title: 'Prune now?',
        body: `Deletes finished turns (delivered, failed_terminal, aborted) and done outbox rows (delivered, failed_terminal, expired) that completed more than ${retention()} ago (the retention window), with their timelines. Open turns and pending sends are never touched.`,
      };
  }
}

function refusals(r: BulkResult): string {
  const failed = r.outcomes.filter((o) => !o.ok);
  return failed.map((o) => o.error ?? `${o.id} refused`).join('; ');
}

function summary(kind: BulkKind, r: BulkResult & { totals?: { turns: number; outbox: number } }): string {
  switch (kind) {
    case 'abort':
      return `Aborted ${plural(r.totals?.turns ?? 0, 'turn')} and cancelled ${plural(r.totals?.outbox ?? 0, 'pending send')} in ${plural(r.done, 'session')}.`;
    case 'replay':
      return `Replay requested for ${plural(r.done, 'turn')}: now failed_retryable and due; the recovery worker runs ${them(r.done)} next.`;
    case 'retry':
      return `${plural(r.done, 'outbox row')} due now: the recovery worker sends ${them(r.done)} on its next pass.`;
    case 'terminate':
      return `Terminated ${plural(r.done, 'outbox row')} (operator_terminated).`;
  }
}

function pruneSummary(r: PruneResult): string {
  return `Pruned ${plural(r.turns, 'turn')}, ${plural(r.outbox, 'outbox row')} and ${plural(r.history, 'history entry', 'history entries')}.`;
}

type BulkKind = Exclude<ActionKind, 'prune'>;

function runBulk(
  kind: BulkKind,
  targets: string[],
): Promise<BulkResult & { totals?: { turns: number; outbox: number } }> {
  switch (kind) {
    case 'abort':
      return call('abortSessions', { sessionKeys: targets });
    case 'replay':
      return call('replayTurns', { ids: targets });
    case 'retry':
      return call('retryRows', { ids: targets });
    case 'terminate':
      return call('terminateRows', { ids: targets });
  }
}

let previewGen = 0;

export const useActionsStore = create<ActionsState>()((set, get) => ({
  pending: null,
  busy: false,
  message: null,
  note: null,
  error: null,
  done: 0,

  request(action) {
    const blocked = writeBlockReason(useStatusStore.getState().info);
    if (blocked) {
      set({ error: blocked, message: null, note: null });
      return;
    }
    if (action.targets.length === 0 && action.kind !== 'prune') return;
    const targets = [...new Set(action.targets)];
    set({ pending: { ...action, targets, preview: null, previewError: null } });
    if (action.kind === 'abort') {
      const gen = ++previewGen;
      call('previewAbort', { sessionKeys: targets }).then(
        (preview) => {
          const p = get().pending;
          if (gen === previewGen && p) set({ pending: { ...p, preview } });
        },
        (err: unknown) => {
          const p = get().pending;
          if (gen === previewGen && p) set({ pending: { ...p, previewError: (err as Error).message } });
        },
      );
    }
  },

  cancel() {
    previewGen++;
    if (!get().busy) set({ pending: null });
  },

  async confirm() {
    const p = get().pending;
    if (!p || get().busy) return;
    const blocked = writeBlockReason(useStatusStore.getState().info);
    if (blocked) {
      set({ pending: null, error: blocked, message: null, note: null });
      return;
    }
    set({ busy: true });
    try {
      if (p.kind === 'prune') {
        set({ message: pruneSummary(await call('prune', {})), note: null, error: null });
      } else {
        const result = await runBulk(p.kind, p.targets);
        const refused = refusals(result);
        set({
          message: result.done > 0 ? summary(p.kind, result) : null,
          note: result.done > 0 ? (result.note ?? null) : null,
          error: refused
            ? `${result.done > 0 ? `${plural(result.refused, 'item')} refused: ` : 'Refused: '}${refused}`
            : null,
        });
      }
    } catch (err) {
      set({ error: (err as Error).message, message: null, note: null });
    } finally {
      set((s) => ({ busy: false, pending: null, done: s.done + 1 }));
    }
    await refreshAll();
  },

  dismissError() {
    set({ error: null });
  },
}));
