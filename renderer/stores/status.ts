import { create } from 'zustand';
import type { AppInfo, SeriesWindow } from '../../shared/api';
import type { StatusCounts } from '../../shared/types';
import type { OutboxListItem, SeriesPoint, TurnListItem } from '../../shared/views';
import { call } from '../transport/client';
import { onCounts, onRefresh } from './sync';

/** The overview's data: counters, stuck lists and the time series. */
export interface StatusState {
  info: AppInfo | null;
  counts: StatusCounts | null;
  stuckTurns: TurnListItem[];
  stuckRows: OutboxListItem[];
  window: SeriesWindow;
  series: SeriesPoint[];
  /** The overview is mounted: push events refresh it. */
  active: boolean;
  loading: boolean;
  error: string | null;
  loadInfo(): Promise<void>;
  load(): Promise<void>;
  setActive(active: boolean): void;
  setWindow(window: SeriesWindow): Promise<void>;
}

const STUCK_LIST_LIMIT = 25;
let generation = 0;

export const useStatusStore = create<StatusState>()((set, get) => ({
  info: null,
  counts: null,
  stuckTurns: [],
  stuckRows: [],
  window: '1h',
  series: [],
  active: false,
  loading: false,
  error: null,

  async loadInfo() {
    try {
      set({ info: await call('getInfo', {}) });
    } catch (err) {
      set({ error: (err as Error).message });
    }
  },

  async load() {
    const gen = ++generation;
    set({ loading: true });
    try {
      const [counts, turns, rows, series] = await Promise.all([
        call('getStatus', {}),
        call('listTurns', { stuck: true, order: 'desc', limit: STUCK_LIST_LIMIT }),
        call('listOutbox', { stuck: true, order: 'desc', limit: STUCK_LIST_LIMIT }),
        call('getSeries', { window: get().window }),
      ]);
      if (gen !== generation) return;
      set({ counts, stuckTurns: turns.items, stuckRows: rows.items, series, loading: false, error: null });
    } catch (err) {
      if (gen !== generation) return;
      set({ loading: false, error: (err as Error).message });
    }
  },

  setActive(active) {
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

// Counters are always live (the nav shows stuck counts too); the rest only while shown.
onCounts((event) => useStatusStore.setState({ counts: event.counts }));
onRefresh(async () => {
  const s = useStatusStore.getState();
  if (s.active) await s.load();
  else {
    const counts = await call('getStatus', {});
    useStatusStore.setState({ counts });
  }
});
