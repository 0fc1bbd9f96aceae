import type { Core } from '../../lifecycle/context';
import { prune, type PruneResult } from '../../lifecycle/maintenance';
import { addPruned, MAX_PRUNE_BATCHES, recordPrune } from '../../lifecycle/operator';
import { BATCH_ROWS, Pacer } from './pacer';

/**
 * Prunes up to `maxRows` of each kind past `cutoff` in transactions of BATCH_ROWS, paced
 * (pacer.ts), so that a gateway sharing the file gets the lock between them: the worker's
 * per-pass prune and the operator's "prune now" alike.
 */
export async function pacedPrune(core: Core, pacer: Pacer, cutoff: number, maxRows: number): Promise<PruneResult> {
  const total: PruneResult = { turns: 0, outbox: 0, history: 0 };
  await pacer.batches(maxRows, BATCH_ROWS, (batch) => {
    const r = prune(core, cutoff, batch);
    addPruned(total, r, batch);
    return Math.max(r.turns, r.outbox);
  });
  return total;
}

/**
 * "Prune now" from the dashboard: the library's operatorPrune runs its 2,000-row batches back to
 * back, which on a large file keeps the write lock taken for seconds and starves a gateway
 * sharing the file. Here the same prune runs in the worker's small paced batches; the totals and
 * the one audit entry are the same.
 */
export async function pacedOperatorPrune(core: Core, by: string, note?: string): Promise<PruneResult> {
  const pacer = new Pacer(core.db, core.config.busyTimeoutMs);
  const cutoff = core.now() - core.config.retentionMs;
  const total = await pacedPrune(core, pacer, cutoff, MAX_PRUNE_BATCHES * core.config.maintenanceBatch);
  await pacer.run(() => recordPrune(core, total, by, note));
  return total;
}
