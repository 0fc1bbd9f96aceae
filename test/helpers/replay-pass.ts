import { RecoveryWorker } from '../../main/recovery/worker';
import type { LifecycleStore } from '../../main/store/contract';

/**
 * One recovery pass whose agent answers every replayed turn outside the outbox, so each ends
 * delivered; the ids it replayed, in order, tell a test which turns the worker picked up.
 */
export async function replayPass(store: LifecycleStore): Promise<string[]> {
  const replayed: string[] = [];
  const worker = new RecoveryWorker(store, {
    replay: async (turn) => {
      replayed.push(turn.id);
      return { finalSendsOutsideOutbox: 1 };
    },
  });
  await worker.runOnce();
  await worker.stop();
  return replayed;
}
