// Rows the core tests start from, written through the store contract (either backend).
import type { LifecycleStore } from '../../main/store/contract';
import { ROUTE } from './temp-db';

/** A running turn of `sessionKey`. */
export async function runningTurn(store: LifecycleStore, sessionKey = 'sess'): Promise<string> {
  const { turn } = await store.accept({ channel: 'telegram', sessionKey, payload: { text: 'q' }, route: ROUTE });
  await store.markRunning(turn.id);
  return turn.id;
}

/** A queued row (final by default), left for the worker to send unless `live` (a live send). */
export async function queuedRow(
  store: LifecycleStore,
  turnId: string | null,
  kind: 'final' | 'tool' | 'block' | null = 'final',
  live = false,
  payload: unknown = { t: 1 },
): Promise<string> {
  const { row } = await store.enqueue({
    turnId,
    channel: 'telegram',
    target: 'chat-1',
    dispatchKind: kind,
    payload,
    live,
  });
  return row.id;
}
