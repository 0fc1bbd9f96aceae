import type { LifecycleStore } from '../../main/store/contract';
import { int } from './stats';
import { drive, fullTurn, type ThroughputResult } from './throughput-shared';

/**
 * The full turn through the async store contract (LifecycleStore), in this process: what a
 * gateway pays for the contract on SQLite (SqliteStore: group commit behind it), or what one
 * process gets from PostgreSQL (PgStore: a pool, one transaction per call). `open` makes a new,
 * empty store each time.
 */
export async function storeThroughput(
  open: () => Promise<LifecycleStore>,
  opts: { label: string; turns: number; concurrency: number; warmup: number; note?: string },
): Promise<ThroughputResult> {
  const store = await open();
  try {
    await drive(opts.warmup, opts.concurrency, fullTurn(store, 'warmup'));
    const { ms, cpuMs } = await drive(opts.turns, opts.concurrency, fullTurn(store, 'run'));
    const delivered = (await store.status()).turns.delivered;
    return {
      label: opts.label,
      turns: opts.turns,
      ms,
      cpuMs,
      perSec: (opts.turns / ms) * 1000,
      check: `${int(delivered - opts.warmup)} delivered`,
      note: opts.note,
    };
  } finally {
    await store.close();
  }
}
