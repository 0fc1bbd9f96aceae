// store.watch: another writer's commit reaches the listener (SQLite: data_version, polled;
// PostgreSQL: LISTEN/NOTIFY), this store's own commits do not, and unsubscribing stops it.
import assert from 'node:assert/strict';
import type { LifecycleStore } from '../../main/store/contract';
import { eachBackend } from '../helpers/backends';
import { ROUTE, delay, uid } from '../helpers/temp-db';

async function accept(store: LifecycleStore): Promise<string> {
  return (await store.accept({ channel: 'telegram', sessionKey: uid('s'), payload: { text: 'q' }, route: ROUTE })).turn
    .id;
}

/** Resolves once `calls()` passes `n`; fails after `ms` (a watch that never fires). */
async function reached(calls: () => number, n: number, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (calls() < n) {
    if (Date.now() > deadline) throw new Error(`the listener was called ${calls()} times, expected ${n}`);
    await delay(20);
  }
}

eachBackend('watch hears other writers, not its own, until unsubscribed', async (c) => {
  const peer = await c.peer();
  let calls = 0;
  const stop = c.store.watch(() => calls++);
  try {
    // Give the watch time to start listening (PostgreSQL connects a client of its own).
    await delay(300);
    const peersTurn = await accept(peer);
    await reached(() => calls, 1);
    // PostgreSQL calls once more shortly after a notification (what a writer committed unannounced).
    await delay(1_000);
    // Our own writes: a few polling/coalescing intervals pass without a call.
    const before = calls;
    for (let i = 0; i < 5; i++) await accept(c.store);
    await delay(1_500);
    assert.equal(calls, before, 'own commits are not reported as changes by another writer');
    // Another write of the peer (its own turn: ours are held by our live claims).
    assert.equal(await peer.markRunning(peersTurn), true);
    await reached(() => calls, before + 1);
  } finally {
    stop();
  }
  const after = calls;
  await accept(peer);
  await delay(1_500);
  assert.equal(calls, after, 'no call after unsubscribe');
});
