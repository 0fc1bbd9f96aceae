// The crash test's victim: runs the demo gateway under load on one database file until the
// parent SIGKILLs it (or it finishes). Usage: node child.js <db> <sink> <seed> [turns|until-killed]
// With `until-killed` it never runs out of turns: only a SIGKILL (or a failure) ends it.
// It reports on stdout: "open" once the database is open, "running" once turns flow.
import { Lifecycle } from '../../main/lifecycle/lifecycle';
import { DEMO_CONFIG } from '../../main/demo/gateway';
import { runDemo } from '../../main/demo/run';

async function main(): Promise<void> {
  const [dbFile, sinkFile, seedArg, turnsArg] = process.argv.slice(2);
  if (!dbFile || !sinkFile || !seedArg) throw new Error('usage: child.js <db> <sink> <seed> [turns|until-killed]');
  const seed = Number(seedArg);
  const turns = turnsArg === 'until-killed' ? Infinity : Number(turnsArg ?? 400);
  const lc = Lifecycle.open(dbFile, { config: DEMO_CONFIG });
  process.stdout.write('open\n');
  let reported = false;
  try {
    const summary = await runDemo(lc, {
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
    lc.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`crash child failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
