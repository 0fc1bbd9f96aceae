// A process of the fleet crash test: a demo gateway (live traffic, no worker of its own) or a
// recovery worker with the demo's handlers, on one shared file, until the parent SIGKILLs it or
// its work is done (never, with `untilKilled`). Usage: node fleet-child.js <gateway|worker> <json options>.
// Reports on stdout: "open" once the database is open, "running" once it works.
import { Lifecycle } from '../../main/lifecycle/lifecycle';
import { DEMO_CONFIG, DemoGateway } from '../../main/demo/gateway';
import { scaledClock } from '../helpers/contention-child';

export interface FleetChildOptions {
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
  /** Every process's core clock runs this much faster than real time, from `clockOrigin`. */
  clockScale: number;
  clockOrigin: number;
}

async function gateway(lc: Lifecycle, o: FleetChildOptions): Promise<void> {
  const demo = new DemoGateway(lc, {
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

async function worker(lc: Lifecycle, o: FleetChildOptions): Promise<void> {
  const demo = new DemoGateway(lc, { failureRate: 0.2, seed: o.seed, sinkFile: o.sink, latencyMs: 5 });
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
  const lc = Lifecycle.open(o.db, {
    config: DEMO_CONFIG,
    owner: o.owner,
    now: scaledClock(o.clockScale, o.clockOrigin),
  });
  process.stdout.write('open\n');
  try {
    if (mode === 'gateway') await gateway(lc, o);
    else await worker(lc, o);
  } finally {
    lc.close();
  }
}

const [mode, json] = process.argv.slice(2);
if (require.main === module && mode !== undefined && json !== undefined) {
  main(mode, JSON.parse(json) as FleetChildOptions).catch((err: unknown) => {
    process.stderr.write(`crash child failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
