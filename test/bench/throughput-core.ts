import path from 'node:path';
import { Lifecycle } from '../../main/lifecycle/lifecycle';
import { int } from './stats';
import { drive, inbound, reply, type ThroughputResult } from './throughput-shared';

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

  const turn = (run: string) => async (i: number) => {
    const input = inbound(run, i);
    const { turn: t } = await step(() => lc.accept(input));
    await step(() => lc.markRunning(t.id));
    const { row } = await step(() =>
      lc.enqueue({
        turnId: t.id,
        channel: input.route.channel,
        accountId: input.route.accountId,
        target: input.route.to,
        dispatchKind: 'final',
        payload: reply(i),
      }),
    );
    await step(() => lc.beginSend(row.id));
    await step(() => lc.ack(row.id));
    await step(() => lc.finalize(t.id));
  };

  await drive(opts.warmup, opts.concurrency, turn('warmup'));
  const { ms, cpuMs } = await drive(opts.turns, opts.concurrency, turn('run'));
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
