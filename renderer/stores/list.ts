import { create, type StoreApi, type UseBoundStore } from 'zustand';
import type { ApiArgs, ApiResults } from '../../shared/api';
import { call } from '../transport/client';
import { onActed, onRefresh } from './sync';

// One factory for the two server-paged tables (turns, outbox): filters, sort and paging run on
// the server (cursor keyset paging); the store holds the rows loaded so far and the selection.

export type ListMethod = 'listTurns' | 'listOutbox';
export type ItemOf<M extends ListMethod> = ApiResults[M]['items'][number];
export type FilterOf<M extends ListMethod> = Omit<Exclude<ApiArgs<M>, undefined>, 'cursor' | 'limit'>;

/**
 * One page as the server returned it. Its cursor is kept for good (a few bytes), its rows only
 * while it is near the viewport: far-away pages are dropped and fetched again by their cursor
 * when scrolled back to, so memory stays flat however far one scrolls.
 */
export interface PageSlot<T> {
  cursor: string | null;
  /** Its rows, or null while not held. */
  items: T[] | null;
  /** How many rows it had when last fetched (its place in the list). */
  length: number;
}

export interface ListState<M extends ListMethod> {
  filter: FilterOf<M>;
  /** Every page fetched since the filter was set, in order. */
  pages: PageSlot<ItemOf<M>>[];
  /** The rows of the pages held now, in list order (what the table's row model holds). */
  items: ItemOf<M>[];
  /** Rows known so far: the pages' lengths added up (the table's height). */
  count: number;
  /** The cursor after the last page; null at the end. */
  nextCursor: string | null;
  /** The first page is loading (filter changed). */
  loading: boolean;
  loadingMore: boolean;
  error: string | null;
  /** The view is mounted: push events refresh it. */
  active: boolean;
  /** The table is scrolled down from its top: newest-first rows then hold still (see `holding`). */
  scrolled: boolean;
  /**
   * Rows that arrived above the first one shown while the list held still, not inserted: the
   * "N new — show" bar. NEW_MAX means "NEW_MAX or more".
   */
  newRows: number;
  /** Bumped when the person asks for the new rows: the table scrolls back to its top. */
  shown: number;
  /** Rows an action was taken on from this view, by id: what was done ("Replay requested"). */
  marks: Record<string, string>;
  /** Rows shown that no longer match the filter: kept in place (marked) until the view is left. */
  gone: Record<string, true>;
  /** Selected row ids (tanstack's RowSelectionState shape). */
  selection: Record<string, boolean>;
  /** The selected rows themselves: they stay selected when their page is dropped. */
  picked: Record<string, ItemOf<M>>;
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
  /** Refetches the pages held (same filter, by their cursors), keeping scroll position and selection. */
  refresh(): Promise<void>;
  /** The rows from `first` to `last` are on screen: hold their pages (and neighbours), drop the rest. */
  showRange(first: number, last: number): void;
  setActive(active: boolean): void;
  setScrolled(scrolled: boolean): void;
  /** Inserts the rows the bar counts and goes back to the top of the list. */
  showNew(): Promise<void>;
  setSelection(selection: Record<string, boolean>): void;
  /**
   * Selects rows by id before they are loaded (a link or a reload carries the selection): each
   * becomes picked once a page holding it arrives.
   */
  restoreSelection(ids: readonly string[]): void;
  clearSelection(): void;
}

export type ListStore<M extends ListMethod> = UseBoundStore<StoreApi<ListState<M>>>;

export const PAGE_SIZE = 100;
/** The "N new" bar counts exactly up to this many, then says "100+". */
export const NEW_MAX = 100;

/**
 * Newest first, with the person scrolled down or rows selected, rows do not move under the
 * cursor: new ones are counted, not inserted, and rows shown are updated where they are.
 */
export function holding(s: Pick<ListState<ListMethod>, 'filter' | 'scrolled' | 'selection'>): boolean {
  const desc = (s.filter as { order?: 'asc' | 'desc' }).order !== 'asc';
  return desc && (s.scrolled || Object.values(s.selection).some(Boolean));
}

/** What an action on a row is called on it ("Replay requested"), and what it did to the filter. */
export function markNote(mark: string | undefined, gone: boolean): string | null {
  if (!mark) return gone ? 'No longer matches this filter' : null;
  return gone ? `${mark} — no longer matches this filter` : mark;
}
/** Pages held on each side of the ones on screen. */
const KEEP_AROUND = 1;

/** Drops empty filter values: the API treats a given empty string as "equal to ''". */
export function cleanFilter<F extends object>(filter: F): F {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(filter)) {
    if (v === undefined || v === '' || (Array.isArray(v) && v.length === 0) || v === false) continue;
    out[k] = typeof v === 'string' ? v.trim() : v;
  }
  return out as F;
}

/** The page holding row `index`, given the pages' lengths; the last page when past the end. */
export function pageOf(pages: readonly { length: number }[], index: number): number {
  let start = 0;
  for (let k = 0; k < pages.length; k++) {
    start += pages[k]!.length;
    if (index < start) return k;
  }
  return pages.length - 1;
}

/** The row at `index` of the whole list, if its page is held. */
export function itemAt<T>(pages: readonly PageSlot<T>[], index: number): T | undefined {
  let start = 0;
  for (const p of pages) {
    if (index < start + p.length) return p.items?.[index - start];
    start += p.length;
  }
  return undefined;
}

function derived<T>(pages: PageSlot<T>[]): { pages: PageSlot<T>[]; items: T[]; count: number } {
  const items: T[] = [];
  let count = 0;
  for (const p of pages) {
    if (p.items) items.push(...p.items);
    count += p.length;
  }
  return { pages, items, count };
}

export function createListStore<M extends ListMethod>(method: M, defaults: FilterOf<M>): ListStore<M> {
  type Page = ApiResults[M];
  type Item = ItemOf<M>;
  /** Bumped by every change of filter (and every refresh): answers to older requests are dropped. */
  let generation = 0;
  /** The rows on screen, as pages: what showRange asked for last. */
  let wanted: [number, number] = [0, 0];
  let filling = false;
  const fetchPage = (filter: FilterOf<M>, cursor: string | null, limit: number): Promise<Page> =>
    call(method, { ...cleanFilter(filter), cursor, limit } as unknown as ApiArgs<M>) as Promise<Page>;
  /** The list's order: its time column, then id (the server's cursor order). */
  const timeOf = (it: Item): number =>
    (it as { acceptedAt?: number; queuedAt?: number }).acceptedAt ?? (it as { queuedAt?: number }).queuedAt ?? 0;
  /** True when `a` comes before `b` in the list's order. */
  const precedes = (a: Item, b: Item, desc: boolean): boolean => {
    const ta = timeOf(a);
    const tb = timeOf(b);
    if (ta !== tb) return desc ? ta > tb : ta < tb;
    return desc ? a.id > b.id : a.id < b.id;
  };
  /** The list's first row when its first page was last loaded: rows before it are new. */
  let firstRow: Item | null = null;
  /** Where nothing is marked or gone any more: a new filter, or the view left. */
  const cleared = { marks: {}, gone: {}, newRows: 0 };

  const store = create<ListState<M>>()((set, get) => {
    /**
     * Rows acted on that the new pages no longer hold (they left the filter) are put back where
     * they were in the list's order, so they stay in view, marked, until the view is left.
     */
    const withMarked = (
      pages: PageSlot<Item>[],
      shownBefore: readonly Item[],
      ended: boolean,
    ): Record<string, true> => {
      const { marks, filter } = get();
      const desc = (filter as { order?: 'asc' | 'desc' }).order !== 'asc';
      const present = new Set<string>();
      for (const p of pages) for (const it of p.items ?? []) present.add(it.id);
      const gone: Record<string, true> = {};
      for (const old of shownBefore) {
        if (!marks[old.id] || present.has(old.id)) continue;
        let placed = false;
        for (let k = 0; k < pages.length && !placed; k++) {
          const items = pages[k]!.items;
          if (!items) continue;
          const at = items.findIndex((it) => precedes(old, it, desc));
          const last = k === pages.length - 1 || !pages.slice(k + 1).some((p) => p.items);
          if (at >= 0 || (last && ended)) {
            const next = items.slice();
            next.splice(at >= 0 ? at : next.length, 0, old);
            pages[k] = { ...pages[k]!, items: next, length: pages[k]!.length + 1 };
            placed = true;
          }
        }
        if (placed) {
          gone[old.id] = true;
          present.add(old.id);
        }
      }
      return gone;
    };

    /**
     * The refresh while the list holds still: the rows shown get their new values where they
     * are, rows newer than the first one shown are only counted, and a row no longer matching
     * the filter stays, marked. Nothing is inserted or removed, so nothing moves.
     */
    const refreshHeld = async (gen: number): Promise<void> => {
      const { filter, pages } = get();
      const shown = new Set(get().items.map((it) => it.id));
      const fresh = new Map<string, Item>();
      /** Runs of held pages: each fetched again from its first cursor; [first, last, covered to its end]. */
      const runs: [number, number, boolean][] = [];
      // The newest rows (also when the first page is not held, far above): those before the
      // list's first row are new, counted up to NEW_MAX; with them, the first page's new values.
      const top = await fetchPage(filter, null, PAGE_SIZE + NEW_MAX);
      const newest = top.items as Item[];
      const first = firstRow;
      const newer = newest.filter((it) => !shown.has(it.id) && (!first || precedes(it, first, true))).length;
      const newRows = Math.min(NEW_MAX, newer);
      if (pages[0]?.items) {
        for (const it of newest) fresh.set(it.id, it);
        runs.push([0, 0, top.nextCursor === null]);
      }
      for (let k = 1; k < pages.length; k++) {
        if (!pages[k]!.items) continue;
        const start = k;
        let cursor = pages[k]!.cursor;
        let ended = false;
        let last = k;
        for (; k < pages.length && pages[k]!.items && !ended; k++) {
          const page: Page = await fetchPage(filter, cursor, PAGE_SIZE);
          for (const it of page.items as Item[]) fresh.set(it.id, it);
          cursor = page.nextCursor;
          ended = cursor === null;
          last = k;
        }
        runs.push([start, last, ended]);
      }
      if (gen !== generation) return;
      const gone: Record<string, true> = { ...get().gone };
      const next = pages.map((p) => (p.items ? { ...p, items: p.items.map((it) => fresh.get(it.id) ?? it) } : p));
      for (const [a, b, ended] of runs) {
        // A row missing from the answer left the filter if the answer reached past it (a later
        // row of the run came back) or to the list's end; else it is only further down now.
        let reached = ended;
        for (let k = b; k >= a; k--) {
          const items = next[k]!.items ?? [];
          for (let i = items.length - 1; i >= 0; i--) {
            const id = items[i]!.id;
            if (fresh.has(id)) {
              reached = true;
              delete gone[id];
            } else if (reached) gone[id] = true;
          }
        }
      }
      set({ ...derived(next), newRows, gone, loading: false, loadingMore: false, error: null });
      void updateKept(gen);
    };

    /**
     * A row kept in view after it left the filter would show its old values: the turn's page
     * has the new ones (a replayed turn now says failed retryable), for turns and for rows of a turn.
     */
    const updateKept = async (gen: number): Promise<void> => {
      const { gone, marks, items } = get();
      const kept = items.filter((it) => gone[it.id] && marks[it.id]);
      if (!kept.length) return;
      const fresh = new Map<string, Item>();
      await Promise.all(
        kept.map(async (it) => {
          const turnId = method === 'listTurns' ? it.id : (it as { turnId?: string | null }).turnId;
          if (!turnId) return;
          try {
            const detail = await call('getTurn', { id: turnId });
            if (method === 'listTurns') {
              fresh.set(it.id, { ...it, ...detail.turn, stuckReason: detail.stuckReason } as Item);
            } else {
              const row = detail.outbox.find((r) => r.id === it.id);
              if (row) fresh.set(it.id, { ...it, ...row } as Item);
            }
          } catch {
            // its old values stay, marked as no longer matching
          }
        }),
      );
      if (gen !== generation || !fresh.size) return;
      const pages = get().pages.map((p) =>
        p.items?.some((it) => fresh.has(it.id)) ? { ...p, items: p.items.map((it) => fresh.get(it.id) ?? it) } : p,
      );
      set(derived(pages));
    };

    /** Rows of a page fetched again may overlap its neighbours' when rows went away meanwhile. */
    const withoutNeighbours = (pages: PageSlot<Item>[], k: number, items: Item[]): Item[] => {
      const seen = new Set<string>();
      for (const n of [pages[k - 1], pages[k + 1]]) for (const it of n?.items ?? []) seen.add(it.id);
      return seen.size ? items.filter((it) => !seen.has(it.id)) : items;
    };

    /** Loads the pages showRange wants that are not held, one at a time, until none is missing. */
    const fill = async (): Promise<void> => {
      if (filling) return;
      filling = true;
      try {
        for (;;) {
          const gen = generation;
          const { pages, filter, loading } = get();
          // A new filter is loading: the pages held are the old filter's, their cursors too.
          if (loading) return;
          const [a, b] = wanted;
          let k = -1;
          for (let i = a; i <= Math.min(b, pages.length - 1); i++) {
            if (!pages[i]!.items) {
              k = i;
              break;
            }
          }
          if (k === -1) return;
          const slot = pages[k]!;
          let page: Page;
          try {
            page = await fetchPage(filter, slot.cursor, PAGE_SIZE);
          } catch (err) {
            if (gen === generation) set({ error: (err as Error).message });
            return;
          }
          if (gen !== generation) continue;
          const now = get().pages.slice();
          const items = withoutNeighbours(now, k, page.items as Item[]);
          now[k] = { cursor: slot.cursor, items, length: items.length };
          set(derived(now));
        }
      } finally {
        filling = false;
      }
    };

    return {
      filter: { ...defaults },
      pages: [],
      items: [],
      count: 0,
      nextCursor: null,
      loading: false,
      loadingMore: false,
      error: null,
      active: false,
      scrolled: false,
      newRows: 0,
      shown: 0,
      marks: {},
      gone: {},
      selection: {},
      picked: {},

      setFilter(patch) {
        const filter = { ...get().filter, ...patch };
        // The same filter again (Enter on a box whose pause already committed it) is no new request.
        if (JSON.stringify(cleanFilter(filter)) === JSON.stringify(cleanFilter(get().filter))) return;
        set({ filter, selection: {}, picked: {}, ...cleared });
        void get().reload();
      },

      resetFilter() {
        set({ filter: { ...defaults }, selection: {}, picked: {}, ...cleared });
        void get().reload();
      },

      showOnly(patch) {
        generation++;
        firstRow = null;
        set({
          filter: { ...defaults, ...patch },
          ...derived<Item>([]),
          nextCursor: null,
          selection: {},
          picked: {},
          ...cleared,
        });
      },

      resume() {
        return get().pages.length ? get().refresh() : get().reload();
      },

      async reload() {
        const gen = ++generation;
        const shownBefore = get().items;
        set({ loading: true, error: null });
        try {
          const page = await fetchPage(get().filter, null, PAGE_SIZE);
          if (gen !== generation) return;
          const items = page.items as Item[];
          wanted = [0, 0];
          const pages = [{ cursor: null, items, length: items.length }];
          firstRow = items[0] ?? null;
          const gone = withMarked(pages, shownBefore, page.nextCursor === null);
          set({
            ...derived(pages),
            gone,
            newRows: 0,
            nextCursor: page.nextCursor,
            loading: false,
            loadingMore: false,
          });
          void updateKept(gen);
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
          const pages = get().pages.slice();
          const items = page.items as Item[];
          // Held only next to held rows (the usual case: scrolled to the end); else its place is noted.
          const next = pages.at(-1)?.items ? items : null;
          pages.push({ cursor: nextCursor, items: next, length: items.length });
          set({ ...derived(pages), nextCursor: page.nextCursor, loadingMore: false });
        } catch (err) {
          if (gen !== generation) return;
          set({ loadingMore: false, error: (err as Error).message });
        }
      },

      async refresh() {
        const gen = ++generation;
        if (get().pages.length && holding(get())) {
          try {
            await refreshHeld(gen);
          } catch (err) {
            if (gen === generation) set({ error: (err as Error).message });
          }
          return;
        }
        const { filter, pages: before, items: shownBefore } = get();
        // Each run of held pages is fetched again from its first cursor, page after page, so the
        // rows on screen stay where they are and new rows appear only above the first page.
        const pages = before.slice();
        let nextCursor = get().nextCursor;
        try {
          for (let k = 0; k < pages.length; k++) {
            if (!pages[k]!.items) continue;
            let cursor = pages[k]!.cursor;
            let ended = false;
            for (; k < pages.length && pages[k]!.items; k++) {
              const page: Page = await fetchPage(filter, cursor, PAGE_SIZE);
              const items = page.items as Item[];
              pages[k] = { cursor, items, length: items.length };
              cursor = page.nextCursor;
              if (cursor === null) {
                ended = true;
                pages.length = k + 1;
                break;
              }
            }
            if (ended || k >= pages.length) nextCursor = cursor;
            else pages[k] = { ...pages[k]!, cursor };
          }
          if (!before.length) {
            const page: Page = await fetchPage(filter, null, PAGE_SIZE);
            const items = page.items as Item[];
            pages.push({ cursor: null, items, length: items.length });
            nextCursor = page.nextCursor;
          }
          if (gen !== generation) return;
          if (pages[0]?.items && pages[0].cursor === null) firstRow = pages[0].items[0] ?? null;
          const gone = withMarked(pages, shownBefore, nextCursor === null);
          const byId = new Map<string, Item>();
          for (const p of pages) for (const it of p.items ?? []) byId.set(it.id, it);
          const picked = Object.fromEntries(
            Object.entries(get().picked).map(([id, it]) => [id, byId.get(id) ?? it]),
          ) as Record<string, Item>;
          set({
            ...derived(pages),
            nextCursor,
            picked,
            gone,
            newRows: 0,
            loading: false,
            loadingMore: false,
            error: null,
          });
          void fill();
          void updateKept(gen);
        } catch (err) {
          if (gen !== generation) return;
          set({ loading: false, loadingMore: false, error: (err as Error).message });
        }
      },

      showRange(first, last) {
        const { pages } = get();
        if (!pages.length) return;
        const a = pageOf(pages, first);
        const b = pageOf(pages, last);
        wanted = [a, b];
        let dropped = false;
        const next = pages.map((p, k) => {
          if (!p.items || (k >= a - KEEP_AROUND && k <= b + KEEP_AROUND)) return p;
          dropped = true;
          return { ...p, items: null };
        });
        if (dropped) set(derived(next));
        void fill();
      },

      setActive(active) {
        // Leaving the view ends what it kept for the person: marks, rows gone from the filter.
        set(active ? { active } : { active, scrolled: false, ...cleared });
      },
      setScrolled(scrolled) {
        if (scrolled !== get().scrolled) set({ scrolled });
      },
      async showNew() {
        await get().reload();
        // Back to the top once the new rows are there (scrolled before, the browser may keep a row in view).
        set({ shown: get().shown + 1, scrolled: false });
      },
      setSelection(selection) {
        const { items, picked } = get();
        const byId = new Map(items.map((it) => [it.id, it]));
        const next: Record<string, Item> = {};
        for (const [id, on] of Object.entries(selection)) {
          const it = on ? (picked[id] ?? byId.get(id)) : undefined;
          if (it) next[id] = it;
        }
        set({ selection, picked: next });
      },
      restoreSelection(ids) {
        set({ selection: Object.fromEntries(ids.map((id) => [id, true])), picked: {} });
      },
      clearSelection() {
        set({ selection: {}, picked: {} });
      },
    };
  });

  // Rows selected by id (restoreSelection) are picked when their page arrives.
  store.subscribe((s) => {
    const missing = Object.keys(s.selection).filter((id) => s.selection[id] && !s.picked[id]);
    if (!missing.length) return;
    const byId = new Map(s.items.map((it) => [it.id, it]));
    const found = missing.flatMap((id) => (byId.has(id) ? [[id, byId.get(id)!] as const] : []));
    if (found.length) store.setState({ picked: { ...s.picked, ...Object.fromEntries(found) } });
  });

  onRefresh(async () => {
    if (store.getState().active) await store.getState().refresh();
  });
  // An action taken while this view shows marks its rows (by id, or by session for an abort).
  onActed((act) => {
    const s = store.getState();
    if (!s.active) return;
    const targets = new Set(act.targets);
    const marks = { ...s.marks };
    for (const it of [...s.items, ...Object.values(s.picked)]) {
      const session = (it as { sessionKey?: string }).sessionKey;
      if (targets.has(it.id) || (act.bySession && session !== undefined && targets.has(session)))
        marks[it.id] = act.label;
    }
    store.setState({ marks });
  });
  return store;
}

/** The selected rows, in the order they were selected (held or not). */
export function selectedItems<M extends ListMethod>(state: ListState<M>): ItemOf<M>[] {
  return Object.keys(state.selection)
    .filter((id) => state.selection[id])
    .flatMap((id) => (state.picked[id] ? [state.picked[id]] : []));
}
