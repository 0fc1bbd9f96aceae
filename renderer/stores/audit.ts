import { create } from 'zustand';
import type { HistoryEntry } from '../../shared/types';
import type { AuditFilter } from '../../shared/views';
import { call } from '../transport/client';
import { cleanFilter } from './list';
import { onRefresh } from './sync';

/** What the audit can be narrowed to (the paging is the store's). */
export type AuditFilterFields = Omit<AuditFilter, 'limit' | 'cursor'>;

/** The operator actions matching a filter, newest first, by page. */
export interface AuditState {
  filter: AuditFilterFields;
  entries: HistoryEntry[];
  /** Pass back for the next (older) page; null at the end. */
  nextCursor: string | null;
  active: boolean;
  loading: boolean;
  loadingMore: boolean;
  error: string | null;
  load(): Promise<void>;
  loadMore(): Promise<void>;
  /** Fetches the newest page again and puts entries not shown yet on top (older pages stay). */
  refresh(): Promise<void>;
  setFilter(patch: Partial<AuditFilterFields>): void;
  resetFilter(): void;
  /** The whole filter at once (a link or Back): loads only while shown. */
  showOnly(filter: AuditFilterFields): void;
  setActive(active: boolean): void;
}

export const AUDIT_PAGE = 100;
let generation = 0;

const query = (
  filter: AuditFilterFields,
  cursor: string | null,
): Promise<{ items: HistoryEntry[]; nextCursor: string | null }> =>
  call('getAudit', { ...cleanFilter(filter), limit: AUDIT_PAGE, cursor });

export const useAuditStore = create<AuditState>()((set, get) => ({
  filter: {},
  entries: [],
  nextCursor: null,
  active: false,
  loading: false,
  loadingMore: false,
  error: null,
  async load() {
    const gen = ++generation;
    set({ loading: true });
    try {
      const page = await query(get().filter, null);
      if (gen === generation) set({ entries: page.items, nextCursor: page.nextCursor, loading: false, error: null });
    } catch (err) {
      if (gen === generation) set({ loading: false, error: (err as Error).message });
    }
  },
  async loadMore() {
    const { nextCursor, loadingMore, loading } = get();
    if (!nextCursor || loadingMore || loading) return;
    const gen = generation;
    set({ loadingMore: true });
    try {
      const page = await query(get().filter, nextCursor);
      if (gen !== generation) return;
      const seen = new Set(get().entries.map((e) => e.id));
      set({
        entries: [...get().entries, ...page.items.filter((e) => !seen.has(e.id))],
        nextCursor: page.nextCursor,
        loadingMore: false,
        error: null,
      });
    } catch (err) {
      if (gen === generation) set({ loadingMore: false, error: (err as Error).message });
    }
  },
  async refresh() {
    const { entries } = get();
    if (entries.length <= AUDIT_PAGE) return get().load();
    const gen = generation;
    try {
      const page = await query(get().filter, null);
      if (gen !== generation) return;
      const seen = new Set(get().entries.map((e) => e.id));
      const fresh = page.items.filter((e) => !seen.has(e.id));
      if (fresh.length) set({ entries: [...fresh, ...get().entries] });
    } catch (err) {
      if (gen === generation) set({ error: (err as Error).message });
    }
  },
  setFilter(patch) {
    set({ filter: { ...get().filter, ...patch } });
    void get().load();
  },
  resetFilter() {
    set({ filter: {} });
    void get().load();
  },
  showOnly(filter) {
    generation++;
    set({ filter: { ...filter }, entries: [], nextCursor: null, loading: false, loadingMore: false });
    if (get().active) void get().load();
  },
  setActive(active) {
    set({ active });
  },
}));

onRefresh(async () => {
  if (useAuditStore.getState().active) await useAuditStore.getState().refresh();
});
