import path from 'node:path';
import { Lifecycle } from '../../main/lifecycle/lifecycle';
import { int } from './stats';
import { drive, fullTurn, type ThroughputResult, type TurnSteps } from './throughput-shared';

/**
 * The core's full turn: accept → markRunning → enqueue final → beginSend → ack → finalize,
 * each step awaited. `grouped`: every step goes through `lc.commit(...)`, so concurrent
 * turns share transactions (group commit); otherwise every step is its own transaction.
 */
export async function coreThroughput(
  dir: string,
  opts: { turns: number; concurrency: number; warmup: number; grouped: boolean },
): Promise<ThroughputResult> {
  const file = path.join(dir, `core-${opts.grouped ? 'grouped' : 'per-step'}.db`);
  const lc = Lifecycle.open(file);
  const step = opts.grouped
    ? <T>(fn: () => T): Promise<T> => lc.commit(fn)
    : <T>(fn: () => T): Promise<T> => Promise.resolve(fn());

  // The sync core behind the contract's shape, each call its own step.
  const steps: TurnSteps = {
    accept: (input) => step(() => lc.accept(input)),
    markRunning: (id) => step(() => lc.markRunning(id)),
    enqueue: (input) => step(() => lc.enqueue(input)),
    beginSend: (id, options) => step(() => lc.beginSend(id, options)),
    ack: (id) => step(() => lc.ack(id)),
    finalize: (id, options) => step(() => lc.finalize(id, options)),
  };

  await drive(opts.warmup, opts.concurrency, fullTurn(steps, 'warmup'));
  const { ms, cpuMs } = await drive(opts.turns, opts.concurrency, fullTurn(steps, 'run'));
  const delivered = (
    lc.db.prepare("SELECT count(*) AS n FROM message_turns WHERE status = 'delivered'").get() as { n: number }
  ).n;
  lc.close();
  return {
    label: opts.grouped ? `core, group commit (${opts.concurrency} in flight)` : 'core, one transaction per step',
    turns: opts.turns,
    ms,
    cpuMs,
    perSec: (opts.turns / ms) * 1000,
    check: `${int(delivered - opts.warmup)} delivered`,
  };
}
