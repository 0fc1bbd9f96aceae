import type { StatusCounts } from '../../shared/types';
import type { LifecycleStore } from '../store/contract';
import { TURN_ACTIVE_STATUSES } from '../../shared/types';
import { DemoGateway, type DemoOptions } from './gateway';
import type { IncidentGateway } from './incident';

export interface DemoRunOptions extends DemoOptions {
  turns: number;
  /** Inbound messages processed at once. */
  concurrency?: number;
  /** Give up waiting for open turns to settle after this long. */
  settleTimeoutMs?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface DemoSummary {
  turns: number;
  open: number;
  status: StatusCounts;
  sinkFile: string;
}

async function openTurns(store: LifecycleStore): Promise<number> {
  const counts = (await store.status()).turns;
  return TURN_ACTIVE_STATUSES.reduce((n, s) => n + counts[s], 0);
}

/**
 * Runs `turns` inbound messages through the demo gateway with the recovery worker running,
 * then waits until every turn has settled (or the timeout), and stops the worker cleanly.
 */
export async function runDemo(store: LifecycleStore, options: DemoRunOptions): Promise<DemoSummary> {
  const gateway = new DemoGateway(store, options);
  const worker = gateway.createWorker();
  worker.on('error', (err) => console.error(`recovery pass failed: ${err.message}`));
  worker.start();
  let started = 0;
  let done = 0;
  const lane = async (): Promise<void> => {
    while (started < options.turns) {
      started++;
      await gateway.inbound();
      options.onProgress?.(++done, options.turns);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, lane));
    const deadline = Date.now() + (options.settleTimeoutMs ?? 120_000);
    while ((await openTurns(store)) > 0 && Date.now() < deadline) {
      await worker.runOnce();
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await worker.stop();
  }
  return {
    turns: options.turns,
    open: await openTurns(store),
    status: await store.status(),
    sinkFile: options.sinkFile,
  };
}

/**
 * Feeds the embedded demo's incident (browser mode and the desktop app's default): one inbound
 * message every 3 × `intervalMs` on average, looked for every `intervalMs` (at most 500 ms).
 */
export function startDemoFeed(gateway: IncidentGateway, intervalMs = 1_500): () => void {
  return gateway.start(Math.min(intervalMs, 500), (err) => console.error(`demo: ${err.message}`), intervalMs * 3);
}
