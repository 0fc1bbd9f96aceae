import type { Core } from '../../lifecycle/context';
import { prune, type PruneResult } from '../../lifecycle/maintenance';
import { addPruned, MAX_PRUNE_BATCHES, recordPrune } from '../../lifecycle/operator';
import { BATCH_ROWS, Pacer } from './pacer';

/**
 * "Prune now" from the dashboard: the library's operatorPrune runs its 2,000-row batches back to
 * back, which on a large file keeps the write lock taken for seconds and starves a gateway
 * sharing the file. Here the same prune runs in the worker's small batches, paced (pacer.ts), so
 * the gateway gets the lock between them; the totals and the one audit entry are the same.
 */
export async function pacedOperatorPrune(core: Core, by: string): Promise<PruneResult> {
  const pacer = new Pacer(core.db, core.config.busyTimeoutMs);
  const total: PruneResult = { turns: 0, outbox: 0, history: 0 };
  const cutoff = core.now() - core.config.retentionMs;
  const maxBatches = Math.ceil((MAX_PRUNE_BATCHES * core.config.maintenanceBatch) / BATCH_ROWS);
  for (let i = 0; i < maxBatches; i++) {
    const batch = await pacer.run(() => prune(core, cutoff, BATCH_ROWS));
    if (!addPruned(total, batch, BATCH_ROWS)) break;
    await pacer.pause();
  }
  await pacer.run(() => recordPrune(core, total, by));
  return total;
}
