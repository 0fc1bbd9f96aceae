import { oneAtATime } from './one-at-a-time';
import { create } from 'zustand';
import type { SeriesWindow } from '../../shared/api';
import type { ChannelStats } from '../../shared/views';
import { call } from '../transport/client';
import { useStatusStore } from './status';
import { onRefresh } from './sync';

// The Overview's per-channel numbers (getChannelStats) over the Overview's window, which the
// status store owns (read here, never set): refetched on a push refresh while the card is shown,
// and when the window changes.

export interface ChannelsState {
  stats: ChannelStats | null;
  /** The window `stats` is for (the status store's may have moved on meanwhile). */
  window: SeriesWindow | null;
  /** The card is shown: refreshes reach it. */
  active: boolean;
  loading: boolean;
  error: string | null;
  load(): Promise<void>;
  setActive(active: boolean): void;
}

async function loadOnce(set: (patch: Partial<ChannelsState>) => void, get: () => ChannelsState): Promise<void> {
  const window = useStatusStore.getState().window;
  set({ loading: true });
  try {
    const stats = await call('getChannelStats', { window });
    // An answer for a window no longer chosen is dropped; one equal to what is shown changes nothing.
    if (useStatusStore.getState().window !== window) return;
    const same = get().window === window && sameNumbers(get().stats, stats);
    set({ loading: false, error: null, ...(same ? {} : { stats, window }) });
  } catch (err) {
    set({ loading: false, error: (err as Error).message });
  }
}

/** The same numbers (the range's ends move with every call). */
function sameNumbers(a: ChannelStats | null, b: ChannelStats): boolean {
  return a !== null && JSON.stringify([a.channels, a.fill]) === JSON.stringify([b.channels, b.fill]);
}

export const useChannelsStore = create<ChannelsState>()((set) => ({
  stats: null,
  window: null,
  active: false,
  loading: false,
  error: null,

  load() {
    return loader.run();
  },

  setActive(active) {
    set({ active });
  },
}));

const loader = oneAtATime(() => loadOnce(useChannelsStore.setState, useChannelsStore.getState));

onRefresh(async () => {
  if (useChannelsStore.getState().active) await useChannelsStore.getState().load();
});

useStatusStore.subscribe((s, prev) => {
  if (s.window !== prev.window && useChannelsStore.getState().active) void useChannelsStore.getState().load();
});
