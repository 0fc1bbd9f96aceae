// The crash test's victim: runs the demo gateway under load on one database (a SQLite file or a
// PostgreSQL URL) until the parent SIGKILLs it (or it finishes).
// Usage: node child.js <db file or postgres:// URL> <sink> <seed> [turns|until-killed]
// With `until-killed` it never runs out of turns: only a SIGKILL (or a failure) ends it.
// It reports on stdout: "open" once the database is open, "running" once turns flow.
import { DEMO_CONFIG } from '../../main/demo/gateway';
import { runDemo } from '../../main/demo/run';
import { openStore } from '../../main/store/open';

/** Connections of this process's pool (PostgreSQL): each child is a process of its own. */
const POOL_SIZE = 4;

async function main(): Promise<void> {
  const [target, sinkFile, seedArg, turnsArg] = process.argv.slice(2);
  if (!target || !sinkFile || !seedArg) throw new Error('usage: child.js <db> <sink> <seed> [turns|until-killed]');
  const seed = Number(seedArg);
  const turns = turnsArg === 'until-killed' ? Infinity : Number(turnsArg ?? 400);
  const store = await openStore(target, {
    config: DEMO_CONFIG,
    poolSize: POOL_SIZE,
    // This process's clock, injected on both backends so that they run alike (and the parent's
    // recovery, which moves its own copy of this clock, agrees with it). Without an injected
    // clock PostgreSQL would use the database server's.
    now: () => Date.now(),
  });
  process.stdout.write('open\n');
  let reported = false;
  try {
    const summary = await runDemo(store, {
      turns,
      concurrency: 8,
      failureRate: 0.2,
      abortRate: 0.05,
      duplicateRate: 0.05,
      seed,
      sinkFile,
      latencyMs: 5,
      // The parent recovers whatever is left; a child that finishes its turns should not linger.
      settleTimeoutMs: 1_500,
      onProgress: (done) => {
        if (!reported && done > 0) {
          reported = true;
          process.stdout.write('running\n');
        }
      },
    });
    process.stdout.write(`done ${summary.turns} open=${summary.open}\n`);
  } finally {
    await store.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`crash child failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
