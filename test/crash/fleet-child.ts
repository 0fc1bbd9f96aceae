// A process of the fleet crash test: a demo gateway (live traffic, no worker of its own) or a
// recovery worker with the demo's handlers, on one shared database (a SQLite file or a
// PostgreSQL URL), until the parent SIGKILLs it or its work is done (never, with `untilKilled`).
// Usage: node fleet-child.js <gateway|worker> <json options>.
// Reports on stdout: "open" once the database is open, "running" once it works.
import { DEMO_CONFIG, DemoGateway } from '../../main/demo/gateway';
import type { LifecycleStore } from '../../main/store/contract';
import { openStore } from '../../main/store/open';
import { scaledClock } from '../helpers/contention-child';

/** Connections of this process's pool (PostgreSQL): each process of the fleet has its own. */
const POOL_SIZE = 4;

export interface FleetChildOptions {
  /** A SQLite file path or a postgres:// URL. */
  db: string;
  sink: string;
  owner: string;
  seed: number;
  /** Gateway: inbound messages to process. */
  turns: number;
  /** Worker: how long to run before stopping on its own, in real ms. */
  runMs: number;
  /** Ignore `turns` and `runMs`: work until SIGKILLed (so a kill is sure to land mid-work). */
  untilKilled?: boolean;
  /**
   * Every process's store clock runs this much faster than real time, from `clockOrigin`: the
   * same injected clock on both backends (without one, PostgreSQL would use the server's clock).
   */
  clockScale: number;
  clockOrigin: number;
}

async function gateway(store: LifecycleStore, o: FleetChildOptions): Promise<void> {
  const demo = new DemoGateway(store, {
    failureRate: 0.2,
    abortRate: 0.05,
    duplicateRate: 0.05,
    seed: o.seed,
    sinkFile: o.sink,
    latencyMs: 5,
    sessions: 6, // few sessions, so gateways share them and abort each other's turns
  });
  let started = 0;
  let reported = false;
  const lane = async (): Promise<void> => {
    while (o.untilKilled === true || started < o.turns) {
      started++;
      await demo.inbound();
      if (!reported) {
        reported = true;
        process.stdout.write('running\n');
      }
    }
  };
  await Promise.all(Array.from({ length: 6 }, lane));
}

async function worker(store: LifecycleStore, o: FleetChildOptions): Promise<void> {
  const demo = new DemoGateway(store, { failureRate: 0.2, seed: o.seed, sinkFile: o.sink, latencyMs: 5 });
  const w = demo.createWorker();
  w.on('error', (err) => process.stderr.write(`recovery pass failed: ${err.message}\n`));
  process.stdout.write('running\n');
  const until = Date.now() + o.runMs;
  try {
    while (o.untilKilled === true || Date.now() < until) {
      await w.runOnce();
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    await w.stop();
  }
}

async function main(mode: string, o: FleetChildOptions): Promise<void> {
  const store = await openStore(o.db, {
    config: DEMO_CONFIG,
    owner: o.owner,
    poolSize: POOL_SIZE,
    now: scaledClock(o.clockScale, o.clockOrigin),
  });
  process.stdout.write('open\n');
  try {
    if (mode === 'gateway') await gateway(store, o);
    else await worker(store, o);
  } finally {
    await store.close();
  }
}

const [mode, json] = process.argv.slice(2);
if (require.main === module && mode !== undefined && json !== undefined) {
  main(mode, JSON.parse(json) as FleetChildOptions).catch((err: unknown) => {
    process.stderr.write(`crash child failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
