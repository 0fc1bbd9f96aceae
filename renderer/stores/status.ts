import { oneAtATime } from './one-at-a-time';
import { create } from 'zustand';
import type { AppInfo, IntegrityState, SeriesWindow } from '../../shared/api';
import type { StatusCounts } from '../../shared/types';
import type { OutboxListItem, SeriesPoint, TurnListItem } from '../../shared/views';
import { call } from '../transport/client';
import { onActed, onCounts, onIntegrity, onRefresh } from './sync';

/** The overview's data: counters, stuck lists and the time series. */
export interface StatusState {
  info: AppInfo | null;
  /** The background integrity check: from getInfo at start, then from 'integrity' events. */
  integrity: IntegrityState | null;
  counts: StatusCounts | null;
  stuckTurns: TurnListItem[];
  stuckRows: OutboxListItem[];
  window: SeriesWindow;
  /** Null until the first answer: the charts are drawn only then, after the counts. */
  series: SeriesPoint[] | null;
  /** The overview is mounted: push events refresh it. */
  active: boolean;
  loading: boolean;
  error: string | null;
  loadInfo(): Promise<void>;
  /** Everything the overview shows, each part as it arrives. */
  load(): Promise<void>;
  /** The overview shows: loads, unless a load is already on its way (e.g. started at page start). */
  show(): Promise<void>;
  /** Only the counters (the nav's stuck counts, on other views). */
  loadCounts(): Promise<void>;
  setActive(active: boolean): void;
  setWindow(window: SeriesWindow): Promise<void>;
}

const STUCK_LIST_LIMIT = 25;

/**
 * getInfo and the 'integrity' events can arrive in either order: keep the furthest state
 * (a finished check is never replaced by progress; progress only moves forward).
 */
export function newerIntegrity(current: IntegrityState | null, next: IntegrityState | null): IntegrityState | null {
  if (!next) return current;
  if (!current) return next;
  const done = (s: IntegrityState): boolean => s.state !== 'checking';
  if (done(current) && !done(next)) return current;
  if (!done(current) && !done(next) && next.checked < current.checked) return current;
  return next;
}

/**
 * Why operator actions cannot be taken, or null when they can: the file is open read-only.
 * Buttons show it (disabled, title and a visible hint); the actions store refuses too.
 */
export function writeBlockReason(info: AppInfo | null): string | null {
  if (!info?.readOnly) return null;
  const why = (info.roleReason ?? '').replace(/[.\s]+$/, '');
  return `Read-only: actions are disabled${why ? ` — ${why}` : ''}.`;
}

export function selectWriteBlock(s: StatusState): string | null {
  return writeBlockReason(s.info);
}

/** Stuck items an action was taken on from the overview, by id: kept in its lists until it is left. */
let marks: Record<string, string> = {};

/**
 * The new stuck list, with each acted-on item that left it put back at its place, saying what
 * was done: a replayed turn does not vanish under the pointer that replayed it.
 */
export function keepMarked<T extends { id: string; stuckReason: string | null }>(
  shown: readonly T[],
  next: readonly T[],
  marked: Readonly<Record<string, string>>,
): T[] {
  const out = next.slice();
  const present = new Set(next.map((it) => it.id));
  shown.forEach((it, i) => {
    const mark = marked[it.id];
    if (!mark || present.has(it.id)) return;
    const note = `${mark} — no longer stuck`;
    out.splice(Math.min(i, out.length), 0, it.stuckReason === note ? it : { ...it, stuckReason: note });
  });
  return out;
}

/**
 * Each part is shown as soon as it answers: the counts first (a few key lookups), the stuck
 * lists and the series after (the API answers in order, so they never hold the counts up).
 */
async function loadOnce(set: (patch: Partial<StatusState>) => void, get: () => StatusState): Promise<void> {
  set({ loading: true });
  const { window } = get();
  // An answer equal to what is shown changes nothing: no re-render (the charts are costly to redraw).
  const put = <K extends 'counts' | 'stuckTurns' | 'stuckRows' | 'series'>(key: K, value: StatusState[K]): void => {
    if (JSON.stringify(get()[key]) !== JSON.stringify(value)) set({ [key]: value });
  };
  try {
    await Promise.all([
      call('getStatus', {}).then((counts) => put('counts', counts)),
      call('listTurns', { stuck: true, order: 'desc', limit: STUCK_LIST_LIMIT }).then((t) =>
        put('stuckTurns', keepMarked(get().stuckTurns, t.items, marks)),
      ),
      call('listOutbox', { stuck: true, order: 'desc', limit: STUCK_LIST_LIMIT }).then((r) =>
        put('stuckRows', keepMarked(get().stuckRows, r.items, marks)),
      ),
      call('getSeries', { window }).then((series) => {
        if (get().window === window) put('series', series);
      }),
    ]);
    set({ loading: false, error: null });
  } catch (err) {
    set({ loading: false, error: (err as Error).message });
  }
}

export const useStatusStore = create<StatusState>()((set, get) => ({
  info: null,
  integrity: null,
  counts: null,
  stuckTurns: [],
  stuckRows: [],
  window: '1h',
  series: null,
  active: false,
  loading: false,
  error: null,

  async loadInfo() {
    try {
      const info = await call('getInfo', {});
      set({ info, integrity: newerIntegrity(get().integrity, info.integrity ?? null) });
    } catch (err) {
      set({ error: (err as Error).message });
    }
  },

  load() {
    return loader.run();
  },

  show() {
    return loader.running() ?? get().load();
  },

  async loadCounts() {
    try {
      set({ counts: await call('getStatus', {}) });
    } catch (err) {
      set({ error: (err as Error).message });
    }
  },

  setActive(active) {
    if (!active) marks = {};
    set({ active });
  },

  async setWindow(window) {
    set({ window });
    try {
      const series = await call('getSeries', { window });
      if (get().window === window) set({ series });
    } catch (err) {
      set({ error: (err as Error).message });
    }
  },
}));

const loader = oneAtATime(() => loadOnce(useStatusStore.setState, useStatusStore.getState));

// Counters are always live (the nav shows stuck counts too); the rest only while shown.
onCounts((event) => useStatusStore.setState({ counts: event.counts }));
onIntegrity((event) => useStatusStore.setState((s) => ({ integrity: newerIntegrity(s.integrity, event.integrity) })));
onActed((act) => {
  const s = useStatusStore.getState();
  if (!s.active) return;
  const targets = new Set(act.targets);
  for (const it of [...s.stuckTurns, ...s.stuckRows]) {
    const session = (it as { sessionKey?: string }).sessionKey;
    if (targets.has(it.id) || (act.bySession && session !== undefined && targets.has(session)))
      marks[it.id] = act.label;
  }
});
onRefresh(async () => {
  const s = useStatusStore.getState();
  if (s.active) await s.load();
  else await s.loadCounts();
});
