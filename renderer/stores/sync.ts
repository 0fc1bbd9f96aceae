import type { ApiEvent } from '../../shared/api';
import { getTransport } from '../transport/client';

// Push events drive every refresh (no polling, except the liveness heartbeat check): `changed`
// refetches whatever views are loaded, `counts` updates the counters at once, `integrity` the
// progress of the background file check. Refreshes are coalesced so a busy gateway emitting
// many events costs at most a few refetches a second.

type Refresher = () => Promise<void> | void;
const refreshers = new Set<Refresher>();
const countListeners = new Set<(event: Extract<ApiEvent, { type: 'counts' }>) => void>();
const integrityListeners = new Set<(event: Extract<ApiEvent, { type: 'integrity' }>) => void>();

/** A store registers how it refreshes itself; it decides whether it is active. */
export function onRefresh(fn: Refresher): () => void {
  refreshers.add(fn);
  return () => refreshers.delete(fn);
}

export function onCounts(fn: (event: Extract<ApiEvent, { type: 'counts' }>) => void): () => void {
  countListeners.add(fn);
  return () => countListeners.delete(fn);
}

/** The background integrity check progressed or finished. */
export function onIntegrity(fn: (event: Extract<ApiEvent, { type: 'integrity' }>) => void): () => void {
  integrityListeners.add(fn);
  return () => integrityListeners.delete(fn);
}

/** An operator action that went through: what it was done to (row ids, or session keys). */
export interface Acted {
  targets: readonly string[];
  /** The targets are session keys (an abort): rows of those sessions were acted on. */
  bySession: boolean;
  /** What the row shows: "Replay requested". */
  label: string;
}
const actedListeners = new Set<(act: Acted) => void>();

/** The views keep and mark the rows an action was taken on (stores/list.ts, status.ts). */
export function onActed(fn: (act: Acted) => void): () => void {
  actedListeners.add(fn);
  return () => actedListeners.delete(fn);
}

/** Told by the actions store before the refresh that shows the action's result. */
export function announceActed(act: Acted): void {
  for (const l of actedListeners) l(act);
}

/** Refetches every active store now (after an operator action: the result shows at once). */
export async function refreshAll(): Promise<void> {
  await Promise.all([...refreshers].map((fn) => Promise.resolve(fn()).catch(() => undefined)));
}

const MIN_GAP_MS = 400;
let lastRun = 0;
let timer: ReturnType<typeof setTimeout> | null = null;
let running: Promise<void> | null = null;
let again = false;

function scheduleRefresh(): void {
  if (timer) return;
  if (running) {
    again = true;
    return;
  }
  const wait = Math.max(0, lastRun + MIN_GAP_MS - Date.now());
  timer = setTimeout(() => {
    timer = null;
    lastRun = Date.now();
    running = refreshAll().finally(() => {
      running = null;
      if (again) {
        again = false;
        scheduleRefresh();
      }
    });
  }, wait);
}

let started = false;

/** Subscribes to the transport's push events once for the page's lifetime. */
export function startSync(): void {
  if (started) return;
  started = true;
  getTransport().onEvent((event) => {
    if (event.type === 'counts') {
      for (const l of countListeners) l(event);
    } else if (event.type === 'changed') {
      scheduleRefresh();
    } else if (event.type === 'integrity') {
      for (const l of integrityListeners) l(event);
    }
  });
}
