import { create } from 'zustand';
import type { Liveness } from '../../shared/views';
import { ApiCallError, call } from '../transport/client';
import { onRefresh } from './sync';

// Is anyone recovering this file? Heartbeats are written by workers on their own clock, so
// nothing pushes "a worker went silent": this store asks on every 'changed' event and every
// POLL_MS while the page is visible.

export const LIVENESS_POLL_MS = 10_000;

export interface LivenessState {
  liveness: Liveness | null;
  /** Date.now() when `liveness` arrived: with `liveness.now`, the server's clock offset. */
  receivedAt: number;
  error: string | null;
  load(): Promise<void>;
}

let generation = 0;
/** A wrong token does not get better by asking again every 10 s. */
let unauthorized = false;

export const useLivenessStore = create<LivenessState>()((set) => ({
  liveness: null,
  receivedAt: 0,
  error: null,
  async load() {
    if (unauthorized) return;
    const gen = ++generation;
    try {
      const liveness = await call('getLiveness', {});
      if (gen !== generation) return;
      set({ liveness, receivedAt: Date.now(), error: null });
    } catch (err) {
      if (err instanceof ApiCallError && err.code === 'unauthorized') unauthorized = true;
      if (gen !== generation) return;
      set({ error: (err as Error).message });
    }
  },
}));

/** The server's "now" for a local Date.now(): relative times use the clock the heartbeats use. */
export function serverNow(s: Pick<LivenessState, 'liveness' | 'receivedAt'>, localNow: number): number {
  return s.liveness ? s.liveness.now + (localNow - s.receivedAt) : localNow;
}

onRefresh(() => useLivenessStore.getState().load());

let started = false;

/** Loads now, then every POLL_MS while the page is visible (and at once when it shows again). */
export function startLiveness(): void {
  if (started) return;
  started = true;
  const load = (): void => void useLivenessStore.getState().load();
  load();
  setInterval(() => {
    if (document.visibilityState !== 'hidden') load();
  }, LIVENESS_POLL_MS);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') load();
  });
}
