import { create } from 'zustand';
import { SERIES_WINDOWS, type SeriesWindow } from '../../shared/api-values';
import type { ErrorGroup } from '../../shared/triage';
import type { Route } from '../routing';
import { call } from '../transport/client';
import { onRefresh } from './sync';

/** The Errors view: failures grouped by normalized error, channel and kind, over a window. */
export interface ErrorsState {
  window: SeriesWindow;
  /** '' for every channel. */
  channel: string;
  /** '' for both. */
  subject: '' | 'turn' | 'outbox';
  groups: ErrorGroup[];
  /** Channels seen in any answer so far (the channel picker's choices). */
  channels: string[];
  /** When the groups shown were asked for: the window a group action's filter starts at. */
  loadedAt: number;
  active: boolean;
  loading: boolean;
  error: string | null;
  load(): Promise<void>;
  setWindow(window: SeriesWindow): void;
  setChannel(channel: string): void;
  setSubject(subject: ErrorsState['subject']): void;
  /** Window, channel and subject at once (a link or Back): one load, and only while shown. */
  showOnly(view: Pick<ErrorsState, 'window' | 'channel' | 'subject'>): void;
  setActive(active: boolean): void;
}

const GROUP_LIMIT = 200;
let generation = 0;

export const useErrorsStore = create<ErrorsState>()((set, get) => ({
  window: '24h',
  channel: '',
  subject: '',
  groups: [],
  channels: [],
  loadedAt: 0,
  active: false,
  loading: false,
  error: null,
  async load() {
    const gen = ++generation;
    const { window, channel, subject } = get();
    const at = Date.now();
    set({ loading: true });
    try {
      const groups = await call('getErrorGroups', {
        sinceMs: SERIES_WINDOWS[window],
        limit: GROUP_LIMIT,
        ...(channel ? { channel } : {}),
        ...(subject ? { subject } : {}),
      });
      if (gen !== generation) return;
      const channels = [...new Set([...get().channels, ...groups.map((g) => g.channel)])].sort();
      set({ groups, channels, loadedAt: at, loading: false, error: null });
    } catch (err) {
      if (gen === generation) set({ loading: false, error: (err as Error).message });
    }
  },
  setWindow(window) {
    set({ window });
    void get().load();
  },
  setChannel(channel) {
    set({ channel });
    void get().load();
  },
  setSubject(subject) {
    set({ subject });
    void get().load();
  },
  showOnly({ window, channel, subject }) {
    set({ window, channel, subject });
    if (get().active) void get().load();
  },
  setActive(active) {
    set({ active });
  },
}));

/** A group's members as a list filter: what its actions run on and what "show" opens. */
export function groupFilter(group: ErrorGroup, since: number) {
  if (group.subject === 'turn') {
    return { list: 'turns' as const, filter: { signature: group.signature, channel: group.channel, since } };
  }
  return {
    list: 'outbox' as const,
    filter: {
      signature: group.signature,
      channel: group.channel,
      since,
      ...(group.kind ? { kind: group.kind } : {}),
    },
  };
}

/** Where the group's window starts for the filters of its actions. */
export function groupSince(s: Pick<ErrorsState, 'window' | 'loadedAt'>): number {
  return Math.max(0, (s.loadedAt || Date.now()) - SERIES_WINDOWS[s.window]);
}

/** The Turns or Outbox list filtered to the group's members (the URL sync sets the list's filter). */
export function groupMembersRoute(group: ErrorGroup, since: number): Route {
  const target = groupFilter(group, since);
  return target.list === 'turns' ? { view: 'turns', filter: target.filter } : { view: 'outbox', filter: target.filter };
}

/** Groups are counts over hours: a busy gateway's changes refetch them at most this often. */
const REFRESH_GAP_MS = 2_000;
let lastRefresh = 0;
let trailing: ReturnType<typeof setTimeout> | null = null;

onRefresh(async () => {
  if (!useErrorsStore.getState().active) return;
  const wait = lastRefresh + REFRESH_GAP_MS - Date.now();
  if (wait > 0) {
    // The last change in a burst is still shown, a moment later.
    trailing ??= setTimeout(() => {
      trailing = null;
      lastRefresh = Date.now();
      if (useErrorsStore.getState().active) void useErrorsStore.getState().load();
    }, wait);
    return;
  }
  lastRefresh = Date.now();
  await useErrorsStore.getState().load();
});
