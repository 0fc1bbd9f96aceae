import { useCallback, useEffect, useRef, useState } from 'react';

/** useState persisted in localStorage (e.g. a table's column choice). */
export function usePersistentState<T>(key: string, initial: T): [T, (value: T) => void] {
  const [value, setValue] = useState<T>(() => {
    try {
      const raw = window.localStorage.getItem(key);
      return raw ? ({ ...initial, ...(JSON.parse(raw) as T) } as T) : initial;
    } catch {
      return initial;
    }
  });
  const set = useCallback(
    (v: T) => {
      setValue(v);
      try {
        window.localStorage.setItem(key, JSON.stringify(v));
      } catch {
        // not persisted
      }
    },
    [key],
  );
  return [value, set];
}

/** Re-renders every `ms` so relative times ("3 min ago") stay true without refetching. */
export function useNow(ms = 15_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

/**
 * A view's store is active while the view is mounted (push events refresh it only then), and
 * `onShow` loads it when the view mounts. Pass a function defined once (outside the component).
 */
export function useWhileShown<S extends { setActive(active: boolean): void }>(
  store: { getState(): S },
  onShow: (state: S) => Promise<void> | void,
): void {
  useEffect(() => {
    const state = store.getState();
    state.setActive(true);
    void onShow(state);
    return () => store.getState().setActive(false);
  }, [store, onShow]);
}

/** Runs `clear` `ms` after `active` became true (a "Copied" confirmation that goes away). */
export function useClearAfter(active: boolean, ms: number, clear: () => void): void {
  // The latest `clear`, without restarting the timer on every render.
  const latest = useRef(clear);
  latest.current = clear;
  useEffect(() => {
    if (!active) return;
    const timer = setTimeout(() => latest.current(), ms);
    return () => clearTimeout(timer);
  }, [active, ms]);
}
