import { create } from 'zustand';
import type { TurnDetail } from '../../shared/views';
import { call } from '../transport/client';
import { onRefresh } from './sync';

/** The turn shown by #/turn/<id>: the turn, its outbox rows and its timeline. */
export interface DetailState {
  id: string | null;
  detail: TurnDetail | null;
  loading: boolean;
  error: string | null;
  open(id: string): Promise<void>;
  close(): void;
  refresh(): Promise<void>;
}

let generation = 0;

export const useDetailStore = create<DetailState>()((set, get) => ({
  id: null,
  detail: null,
  loading: false,
  error: null,

  async open(id) {
    if (get().id !== id) set({ id, detail: null, error: null });
    await get().refresh();
  },

  close() {
    generation++;
    set({ id: null, detail: null, error: null, loading: false });
  },

  async refresh() {
    const id = get().id;
    if (id === null) return;
    const gen = ++generation;
    set({ loading: true });
    try {
      const detail = await call('getTurn', { id });
      if (gen !== generation) return;
      set({ detail, loading: false, error: null });
    } catch (err) {
      if (gen !== generation) return;
      set({ loading: false, error: (err as Error).message });
    }
  },
}));

onRefresh(() => useDetailStore.getState().refresh());
