import { create } from 'zustand';
import type { AbortPreview, BulkResult } from '../../shared/api';
import type { PruneResult } from '../../shared/views';
import { formatDuration } from '../../shared/stuck';
import { plainStatus, whyNot, type BulkAction } from '../../shared/triage';
import { formatNumber, shortId } from '../format';
import { call } from '../transport/client';
import { useStatusStore, writeBlockReason } from './status';
import { announceActed, refreshAll } from './sync';

// Operator actions: each one is requested (a confirmation dialog opens, saying exactly what
// will change), then confirmed or cancelled. The outcome shows at once: every view refetches
// and a status message (or an error) says what happened. On a file open read-only nothing is
// requested at all: the buttons are disabled with the reason, and `request` refuses too.

export type ActionKind = BulkAction | 'prune';

export interface ActionRequest {
  kind: ActionKind;
  /**
   * Session keys for abort, turn ids for replay / replay as new, outbox row ids for retry /
   * resend / terminate; none for prune. Only items that can take the action (see `eligible`).
   */
  targets: string[];
  /** Set when some of the picked items cannot take the action: they are left out of `targets`. */
  picked?: { selected: number; eligible: number } | undefined;
  /** The turn of each outbox row, when known: a resend's result links to the page that shows both rows. */
  turnOf?: Record<string, string | null> | undefined;
}

export interface PendingAction extends ActionRequest {
  /** For abort: what it would change (null while counting). */
  preview: AbortPreview | null;
  previewError: string | null;
  /** Why the person does it (optional): stored with the action and shown in the audit. */
  reason: string;
}

/** Where a result points: a turn's page, or the outbox filtered to one row (a resend has no turn). */
export interface ResultLink {
  label: string;
  /** The full id, for the tooltip (the label shortens it). */
  title: string;
  to: { turn: string } | { outboxRow: string };
}

export interface ActionsState {
  pending: PendingAction | null;
  busy: boolean;
  /** The last result, shown in the status line. */
  message: string | null;
  /** What the last resend / replay as new created, as links, after the message. */
  links: ResultLink[];
  /** When what was requested will actually happen (BulkResult.note), under the message. */
  note: string | null;
  /** The last error, shown as an alert until dismissed or replaced. */
  error: string | null;
  /** Bumped after each finished action (views clear their selection). */
  done: number;
  request(action: ActionRequest): void;
  setReason(reason: string): void;
  cancel(): void;
  confirm(): Promise<void>;
  dismissError(): void;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatNumber(n)} ${n === 1 ? one : many}`;
}

/**
 * Each action once: its buttons' label (the tables, the turn page, the overview), whether it
 * can be undone, and its past participle for "3 of 5 selected can be retried". One that cannot
 * be undone is confirmed with a red button, its dialog says so, and its buttons have a red outline.
 */
export const ACTIONS: Record<ActionKind, { label: string; irreversible: boolean; done: string }> = {
  replay: { label: 'Replay turn', irreversible: false, done: 'replayed' },
  'replay-as-new': { label: 'Replay as new turn', irreversible: false, done: 'replayed as new turns' },
  abort: { label: 'Abort session', irreversible: true, done: 'aborted' },
  retry: { label: 'Retry now', irreversible: false, done: 'retried' },
  resend: { label: 'Resend', irreversible: false, done: 'sent again' },
  terminate: { label: 'Terminate', irreversible: true, done: 'terminated' },
  prune: { label: 'Prune now', irreversible: true, done: 'pruned' },
};

export interface Eligibility {
  /** The targets of the items that can take the action (deduplicated: one session per abort). */
  targets: string[];
  /** How many of the items can take it. */
  eligible: number;
  /** Why the action is not offered (no item can take it), or null. */
  why: string | null;
}

/** Which of the picked items can take `kind` (shared/triage.ts `whyNot`), and why not when none can. */
export function eligible<T extends { status: string }>(
  kind: BulkAction,
  items: readonly T[],
  target: (item: T) => string,
): Eligibility {
  const ok = items.filter((it) => whyNot(kind, it as Parameters<typeof whyNot>[1]) === null);
  if (items.length === 0) return { targets: [], eligible: 0, why: 'Select rows in the table first' };
  if (ok.length === 0) {
    const first = whyNot(kind, items[0] as Parameters<typeof whyNot>[1]) ?? '';
    const why =
      items.length === 1
        ? first
        : `None of the ${formatNumber(items.length)} selected can be ${ACTIONS[kind].done}. ${first}`;
    return { targets: [], eligible: 0, why };
  }
  return { targets: [...new Set(ok.map(target))], eligible: ok.length, why: null };
}

/** Builds the request for the picked items: only those that can take it, and how many were skipped. */
export function requestFor<T extends { status: string }>(
  kind: BulkAction,
  items: readonly T[],
  target: (item: T) => string,
  extra: Pick<ActionRequest, 'turnOf'> = {},
): ActionRequest {
  const e = eligible(kind, items, target);
  const picked = e.eligible < items.length ? { selected: items.length, eligible: e.eligible } : undefined;
  return { kind, targets: e.targets, picked, ...extra };
}

function list(ids: string[], max = 3): string {
  const shown = ids
    .slice(0, max)
    .map((id) => shortId(id))
    .join(', ');
  return ids.length > max ? `${shown} and ${formatNumber(ids.length - max)} more` : shown;
}

/** "session s-1" / "3 sessions (s-1, s-2, s-3)". */
function named(ids: string[], one: string, many: string): string {
  return ids.length === 1 ? `${one} ${shortId(ids[0]!)}` : `${formatNumber(ids.length)} ${many} (${list(ids)})`;
}

/** "Replay turn?" / "Replay 3 turns?". */
function ask(n: number, verb: string, one: string, many: string, tail = ''): string {
  return `${verb} ${n === 1 ? one : `${n} ${many}`}${tail}?`;
}

const them = (n: number): string => (n === 1 ? 'it' : 'them');
const P = plainStatus;

function retention(): string {
  const ms = useStatusStore.getState().info?.retentionMs;
  return ms === undefined ? 'the retention window' : formatDuration(ms);
}

/** "3 of 5 selected can be retried; 2 will be skipped." — null when every picked item can. */
export function skippedLine(p: Pick<PendingAction, 'kind' | 'picked'>): string | null {
  if (!p.picked) return null;
  const { selected, eligible: n } = p.picked;
  return `${n} of ${selected} selected can be ${ACTIONS[p.kind].done}; ${plural(selected - n, 'other')} will be skipped.`;
}

/** The dialog's title and the sentence saying exactly what will change (and `danger`: for good). */
export function describe(p: PendingAction): { title: string; body: string; danger: boolean } {
  const { title, body } = what(p);
  const { irreversible } = ACTIONS[p.kind];
  return { title, body: irreversible ? `${body} This cannot be undone.` : body, danger: irreversible };
}

// Sentences in plain words: a status name (failed_retryable…) never appears in them.
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
        body: `This aborts ${counts} of ${named(p.targets, 'session', 'sessions')}: its open turns are aborted and their sends that are waiting or will be retried are cancelled. Nothing more is sent for them.`,
      };
    }
    case 'replay':
      return {
        title: ask(n, 'Replay', 'turn', 'turns'),
        body: `${named(p.targets, 'Turn', 'turns')} ${n === 1 ? 'is' : 'are'} re-armed: due now, to be retried. The recovery worker runs ${them(n)} again on its next pass.`,
      };
    case 'replay-as-new':
      return {
        title: ask(n, 'Replay', 'turn as a new turn', 'turns as new turns'),
        body: `A new turn is made from ${n === 1 ? 'turn' : 'each of'} ${named(p.targets, '', 'turns').trim()}: the same session, message and reply route, linked to the original, which stays as it is. The recovery worker answers ${n === 1 ? 'it' : 'each'} on its next pass; asking again finds the same new turn.`,
      };
    case 'retry':
      return {
        title: ask(n, 'Retry', 'send', 'sends', ' now'),
        body: `${named(p.targets, 'Outbox row', 'outbox rows')} ${n === 1 ? 'becomes' : 'become'} due now; the recovery worker sends ${them(n)} on its next pass. Status and attempt count do not change until then.`,
      };
    case 'resend':
      return {
        title: ask(n, 'Send', 'this message', 'these messages', ' again'),
        body: `A new send is queued for ${n === 1 ? '' : 'each of '}${named(p.targets, 'outbox row', 'outbox rows')}: the same channel, target and payload, linked to the original (which stays as it is). The recovery worker sends it on its next pass; asking again finds the same new send, so nothing goes out twice.`,
      };
    case 'terminate':
      return {
        title: ask(n, 'Terminate', 'send', 'sends'),
        body: `${named(p.targets, 'Outbox row', 'outbox rows')} ${n === 1 ? 'is' : 'are'} stopped: ${P('failed_terminal')} (${P('operator_terminated')}), never sent. A turn whose final reply this was is finished as ${P('failed_terminal')}.`,
      };
    case 'prune':
      return {
        title: 'Prune now?',
        body: `Deletes finished turns (delivered, ${P('failed_terminal')}, aborted) and done sends (delivered, ${P('failed_terminal')}, expired) that finished more than ${retention()} ago (the retention window), with their timelines. Open turns and sends still waiting are never touched.`,
      };
  }
}

/** What a row an action was taken on says while it stays in view (stores/list.ts keeps it). */
const MARKS: Record<BulkKind, string> = {
  replay: 'Replay requested',
  'replay-as-new': 'Replayed as a new turn',
  abort: 'Session aborted',
  retry: 'Retry requested',
  resend: 'Resent',
  terminate: 'Terminated',
};

function refusals(r: BulkResult): string {
  const failed = r.outcomes.filter((o) => !o.ok);
  return failed.map((o) => o.error ?? `${o.id} refused`).join('; ');
}

function summary(kind: BulkKind, r: BulkResult & { totals?: { turns: number; outbox: number } }): string {
  switch (kind) {
    case 'abort':
      return `Aborted ${plural(r.totals?.turns ?? 0, 'turn')} and cancelled ${plural(r.totals?.outbox ?? 0, 'pending send')} in ${plural(r.done, 'session')}.`;
    case 'replay':
      return `Replay requested for ${plural(r.done, 'turn')}: due now; the recovery worker runs ${them(r.done)} next.`;
    case 'replay-as-new':
      return `Replayed ${plural(r.done, 'turn')} as new: the recovery worker answers ${them(r.done)} on its next pass.`;
    case 'retry':
      return `${plural(r.done, 'outbox row')} due now: the recovery worker sends ${them(r.done)} on its next pass.`;
    case 'resend':
      return `Resent ${plural(r.done, 'outbox row')}: the recovery worker sends ${them(r.done)} on its next pass.`;
    case 'terminate':
      return `Terminated ${plural(r.done, 'outbox row')} (${P('operator_terminated')}).`;
  }
}

/** "Resent as <id>" / "Replayed as new turn <id>", each a link to where it shows. */
export function resultLinks(kind: BulkKind, r: BulkResult, turnOf: Record<string, string | null> = {}): ResultLink[] {
  if (kind !== 'resend' && kind !== 'replay-as-new') return [];
  return r.outcomes.flatMap((o): ResultLink[] => {
    if (!o.ok || !o.created) return [];
    const created = o.created;
    if (kind === 'replay-as-new') {
      return [{ label: `Replayed as new turn ${shortId(created)}`, title: created, to: { turn: created } }];
    }
    const turn = turnOf[o.id];
    return [{ label: `Resent as ${shortId(created)}`, title: created, to: turn ? { turn } : { outboxRow: created } }];
  });
}

function pruneSummary(r: PruneResult): string {
  return `Pruned ${plural(r.turns, 'turn')}, ${plural(r.outbox, 'outbox row')} and ${plural(r.history, 'history entry', 'history entries')}.`;
}

type BulkKind = Exclude<ActionKind, 'prune'>;

function runBulk(
  kind: BulkKind,
  targets: string[],
  reason: string | undefined,
): Promise<BulkResult & { totals?: { turns: number; outbox: number } }> {
  const why = reason === undefined ? {} : { reason };
  switch (kind) {
    case 'abort':
      return call('abortSessions', { sessionKeys: targets, ...why });
    case 'replay':
      return call('replayTurns', { ids: targets, ...why });
    case 'replay-as-new':
      return call('replayAsNew', { ids: targets, ...why });
    case 'retry':
      return call('retryRows', { ids: targets, ...why });
    case 'resend':
      return call('resendRows', { ids: targets, ...why });
    case 'terminate':
      return call('terminateRows', { ids: targets, ...why });
  }
}

/** The API takes at most 500 characters of reason; more is cut rather than refused. */
export const REASON_MAX = 500;

function reasonArg(text: string): string | undefined {
  const t = text.trim().slice(0, REASON_MAX);
  return t ? t : undefined;
}

let previewGen = 0;

export const useActionsStore = create<ActionsState>()((set, get) => ({
  pending: null,
  busy: false,
  message: null,
  links: [],
  note: null,
  error: null,
  done: 0,

  request(action) {
    const blocked = writeBlockReason(useStatusStore.getState().info);
    if (blocked) {
      set({ error: blocked, message: null, links: [], note: null });
      return;
    }
    if (action.targets.length === 0 && action.kind !== 'prune') return;
    const targets = [...new Set(action.targets)];
    set({ pending: { ...action, targets, preview: null, previewError: null, reason: '' } });
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

  setReason(reason) {
    const p = get().pending;
    if (p && !get().busy) set({ pending: { ...p, reason } });
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
      set({ pending: null, error: blocked, message: null, links: [], note: null });
      return;
    }
    set({ busy: true });
    const reason = reasonArg(p.reason);
    try {
      if (p.kind === 'prune') {
        const pruned = await call('prune', reason === undefined ? {} : { reason });
        set({ message: pruneSummary(pruned), links: [], note: null, error: null });
      } else {
        const result = await runBulk(p.kind, p.targets, reason);
        const targets = result.outcomes.filter((o) => o.ok).map((o) => o.id);
        if (targets.length) announceActed({ targets, bySession: p.kind === 'abort', label: MARKS[p.kind] });
        const refused = refusals(result);
        set({
          message: result.done > 0 ? summary(p.kind, result) : null,
          links: resultLinks(p.kind, result, p.turnOf),
          note: result.done > 0 ? (result.note ?? null) : null,
          error: refused
            ? `${result.done > 0 ? `${plural(result.refused, 'item')} refused: ` : 'Refused: '}${refused}`
            : null,
        });
      }
    } catch (err) {
      set({ error: (err as Error).message, message: null, links: [], note: null });
    } finally {
      set((s) => ({ busy: false, pending: null, done: s.done + 1 }));
    }
    await refreshAll();
  },

  dismissError() {
    set({ error: null });
  },
}));
