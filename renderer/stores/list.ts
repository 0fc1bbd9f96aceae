import { create, type StoreApi, type UseBoundStore } from 'zustand';
import type { ApiArgs, ApiResults } from '../../shared/api';
import { call } from '../transport/client';
import { onRefresh } from './sync';

// One factory for the two server-paged tables (turns, outbox): filters, sort and paging run on
// the server (cursor keyset paging); the store holds the rows loaded so far and the selection.

export type ListMethod = 'listTurns' | 'listOutbox';
export type ItemOf<M extends ListMethod> = ApiResults[M]['items'][number];
export type FilterOf<M extends ListMethod> = Omit<Exclude<ApiArgs<M>, undefined>, 'cursor' | 'limit'>;

export interface ListState<M extends ListMethod> {
  filter: FilterOf<M>;
  items: ItemOf<M>[];
  nextCursor: string | null;
  /** The first page is loading (filter changed). */
  loading: boolean;
  loadingMore: boolean;
  error: string | null;
  /** The view is mounted: push events refresh it. */
  active: boolean;
  /** Selected row ids (tanstack's RowSelectionState shape). */
  selection: Record<string, boolean>;
  setFilter(patch: Partial<FilterOf<M>>): void;
  resetFilter(): void;
  /**
   * The defaults and `patch` as the whole filter, without the rows and the selection of the last
   * one; the table loads when it shows (e.g. a card of the overview opens it filtered).
   */
  showOnly(patch: Partial<FilterOf<M>>): void;
  /** The table shows (again): refreshes the rows already loaded, or loads the first page. */
  resume(): Promise<void>;
  reload(): Promise<void>;
  loadMore(): Promise<void>;
  /** Refetches the rows already loaded (same filter), keeping scroll position and selection. */
  refresh(): Promise<void>;
  setActive(active: boolean): void;
  setSelection(selection: Record<string, boolean>): void;
  clearSelection(): void;
}

export type ListStore<M extends ListMethod> = UseBoundStore<StoreApi<ListState<M>>>;

export const PAGE_SIZE = 100;
const MAX_REFRESH_ROWS = 2000;

/** Drops empty filter values: the API treats a given empty string as "equal to ''". */
export function cleanFilter<F extends object>(filter: F): F {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(filter)) {
    if (v === undefined || v === '' || (Array.isArray(v) && v.length === 0) || v === false) continue;
    out[k] = typeof v === 'string' ? v.trim() : v;
  }
  return out as F;
}

export function createListStore<M extends ListMethod>(method: M, defaults: FilterOf<M>): ListStore<M> {
  type Page = ApiResults[M];
  let generation = 0;
  const fetchPage = (filter: FilterOf<M>, cursor: string | null, limit: number): Promise<Page> =>
    call(method, { ...cleanFilter(filter), cursor, limit } as unknown as ApiArgs<M>) as Promise<Page>;

  const store = create<ListState<M>>()((set, get) => ({
    filter: { ...defaults },
    items: [],
    nextCursor: null,
    loading: false,
    loadingMore: false,
    error: null,
    active: false,
    selection: {},

    setFilter(patch) {
      set({ filter: { ...get().filter, ...patch }, selection: {} });
      void get().reload();
    },

    resetFilter() {
      set({ filter: { ...defaults }, selection: {} });
      void get().reload();
    },

    showOnly(patch) {
      set({ filter: { ...defaults, ...patch }, items: [], nextCursor: null, selection: {} });
    },

    resume() {
      return get().items.length ? get().refresh() : get().reload();
    },

    async reload() {
      const gen = ++generation;
      set({ loading: true, error: null });
      try {
        const page = await fetchPage(get().filter, null, PAGE_SIZE);
        if (gen !== generation) return;
        set({ items: page.items as ItemOf<M>[], nextCursor: page.nextCursor, loading: false, loadingMore: false });
      } catch (err) {
        if (gen !== generation) return;
        set({ loading: false, error: (err as Error).message });
      }
    },

    async loadMore() {
      const { nextCursor, loadingMore, loading, filter } = get();
      if (!nextCursor || loadingMore || loading) return;
      const gen = generation;
      set({ loadingMore: true });
      try {
        const page = await fetchPage(filter, nextCursor, PAGE_SIZE);
        if (gen !== generation) return;
        set({
          items: [...get().items, ...(page.items as ItemOf<M>[])],
          nextCursor: page.nextCursor,
          loadingMore: false,
        });
      } catch (err) {
        if (gen !== generation) return;
        set({ loadingMore: false, error: (err as Error).message });
      }
    },

    async refresh() {
      const gen = ++generation;
      const want = Math.min(Math.max(get().items.length, PAGE_SIZE), MAX_REFRESH_ROWS);
      const filter = get().filter;
      try {
        let items: ItemOf<M>[] = [];
        let cursor: string | null = null;
        do {
          const page: Page = await fetchPage(filter, cursor, Math.min(500, want - items.length));
          items = items.concat(page.items as ItemOf<M>[]);
          cursor = page.nextCursor;
        } while (cursor && items.length < want);
        if (gen !== generation) return;
        set({ items, nextCursor: cursor, loading: false, loadingMore: false, error: null });
      } catch (err) {
        if (gen !== generation) return;
        set({ loading: false, loadingMore: false, error: (err as Error).message });
      }
    },

    setActive(active) {
      set({ active });
    },
    setSelection(selection) {
      set({ selection });
    },
    clearSelection() {
      set({ selection: {} });
    },
  }));

  onRefresh(async () => {
    if (store.getState().active) await store.getState().refresh();
  });
  return store;
}

/** Ids of the selected rows, in table order. */
export function selectedItems<M extends ListMethod>(state: ListState<M>): ItemOf<M>[] {
  return state.items.filter((item) => state.selection[item.id]);
}
