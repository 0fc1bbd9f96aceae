// Crash test: a child process runs the demo gateway under load on one database (a SQLite file,
// or a PostgreSQL database of the test's throwaway cluster) and is SIGKILLed at random moments,
// many times over. Then this process recovers the data with the demo's handlers and checks
// what SPEC promises survives any crash (checks.ts), on each backend:
//   1. every turn is terminal and no outbox row is left pending;
//   2. nothing of an aborted turn reached the sink after its abort committed;
//   3. duplicates in the sink are only those the idempotency key lets the platform drop;
//   4. nothing is marked delivered that never reached the sink.
//
//   CRASH_ROUNDS (default 20) · CRASH_SEED
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { DEMO_CONFIG } from '../../main/demo/gateway';
import { seededRandom } from '../../main/demo/random';
import type { Backend, LifecycleStore } from '../../main/store/contract';
import { openStore } from '../../main/store/open';
import { BACKENDS, storeSql, unavailable } from '../helpers/backends';
import { checkRecovered, countOpen, crashDatabase, recover, type Recovered } from './checks';

const CHILD = path.join(__dirname, 'child.js');
const ROUNDS = Number(process.env.CRASH_ROUNDS ?? 20);
/** Early rounds run this many turns (they are killed long before they could finish them). */
const TURNS_PER_CHILD = 600;
/** A 'mid' child that has not reported turns flowing by then is killed and fails the test. */
const RUNNING_TIMEOUT_MS = 60_000;

interface Round {
  seed: number;
  mode: 'early' | 'mid';
  delayMs: number;
  /** The child reported turns flowing before it died. */
  wasRunning: boolean;
  /** It was killed by our SIGKILL rather than exiting on its own. */
  killed: boolean;
  /** A 'mid' child that never reported turns flowing (killed after RUNNING_TIMEOUT_MS). */
  neverRan: boolean;
  code: number | null;
  stderr: string;
}

/**
 * Spawns the child and SIGKILLs it: 'early' rounds a random moment after spawn (often before or
 * while it opens the database), 'mid' rounds `delayMs` after it reported turns flowing. A 'mid' child
 * runs until killed (it never runs out of turns), so its kill always lands mid-run, however slow
 * or fast the machine: no timing can turn it into a child that finished first.
 */
function runRound(
  dir: string,
  db: string,
  sink: string,
  seed: number,
  mode: Round['mode'],
  delayMs: number,
): Promise<Round> {
  return new Promise((resolve, reject) => {
    const turns = mode === 'mid' ? 'until-killed' : String(TURNS_PER_CHILD);
    const child = spawn(process.execPath, [CHILD, db, sink, String(seed), turns], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const round: Round = {
      seed,
      mode,
      delayMs,
      wasRunning: false,
      killed: false,
      neverRan: false,
      code: null,
      stderr: '',
    };
    let timer: NodeJS.Timeout | undefined;
    const kill = (): void => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    if (mode === 'early') timer = setTimeout(kill, delayMs);
    else {
      timer = setTimeout(() => {
        round.neverRan = true;
        kill();
      }, RUNNING_TIMEOUT_MS);
    }
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (!round.wasRunning && stdout.includes('running\n')) {
        round.wasRunning = true;
        if (mode === 'mid') {
          clearTimeout(timer);
          timer = setTimeout(kill, delayMs);
        }
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      round.stderr += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      round.code = code;
      round.killed = signal === 'SIGKILL';
      resolve(round);
    });
  });
}

async function crashRounds(backend: Backend, t: TestContext): Promise<void> {
  const started = Date.now();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifecycle-crash-'));
  // A file in the test's dir, or a new empty database: the first child creates the schema.
  const db = backend === 'sqlite' ? path.join(dir, 'message-lifecycle.db') : await crashDatabase('crash');
  const sinkFile = path.join(dir, 'sink.jsonl');
  const opened: LifecycleStore[] = [];
  t.after(async () => {
    for (const s of opened) await s.close();
    if (process.env.CRASH_KEEP) t.diagnostic(`kept ${dir}${backend === 'postgres' ? ` and ${db}` : ''}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  });

  // --- crash rounds ---
  const baseSeed = Number(process.env.CRASH_SEED ?? Date.now() % 1_000_000);
  const random = seededRandom(baseSeed);
  const rounds: Round[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    // A quarter of the rounds die very early (before/while creating or opening the database, or
    // in the first turns), the first of all among them.
    const mode = i % 4 === 0 ? 'early' : 'mid';
    const delayMs = mode === 'early' ? Math.floor(random() * 250) : 20 + Math.floor(random() * 1_200);
    rounds.push(await runRound(dir, db, sinkFile, baseSeed + i * 7919, mode, delayMs));
  }
  const crashSecs = (Date.now() - started) / 1000;
  const kills = rounds.filter((r) => r.killed).length;
  const midRunKills = rounds.filter((r) => r.killed && r.wasRunning).length;
  const early = rounds.filter((r) => r.mode === 'early');
  const count = (rs: Round[], p: (r: Round) => boolean): number => rs.filter(p).length;
  t.diagnostic(
    `${backend}: seed ${baseSeed} (CRASH_SEED=${baseSeed} replays the demo's choices, not the kill timing): ${ROUNDS} rounds, ` +
      `${kills} killed (${midRunKills} mid-run, ${kills - midRunKills} before turns flowed), ` +
      `${ROUNDS - kills} exited on their own; early rounds: ${count(early, (r) => r.killed && !r.wasRunning)} killed ` +
      `before turns flowed, ${count(early, (r) => r.killed && r.wasRunning)} after, ` +
      `${count(early, (r) => !r.killed)} finished; crash phase ${crashSecs.toFixed(1)} s`,
  );

  for (const r of rounds) {
    // A child that was not killed must have finished cleanly; one that was killed may have said anything.
    if (!r.killed) assert.equal(r.code, 0, `seed ${r.seed}: child exited with ${r.code}: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /recovery pass failed|crash child failed/, `seed ${r.seed}: ${r.stderr}`);
    if (r.mode === 'mid') {
      assert.ok(!r.neverRan, `seed ${r.seed}: no turn flowed within ${RUNNING_TIMEOUT_MS} ms: ${r.stderr}`);
      // By construction (it runs until killed, and the kill waits for "running"): never timing.
      assert.ok(r.killed && r.wasRunning, `seed ${r.seed}: a mid round was not killed mid-run`);
    }
  }
  assert.ok(midRunKills >= ROUNDS / 2, `only ${midRunKills} of ${ROUNDS} rounds were killed mid-run`);

  // --- recovery, with a clock that jumps a minute per pass so backoffs, leases and claims elapse ---
  const offset = { ms: 0 };
  const store = await openStore(db, { config: DEMO_CONFIG, now: () => Date.now() + offset.ms });
  opened.push(store);
  const data: Recovered = { store, sql: storeSql(store) };
  const openAfterCrashes = await countOpen(data);
  assert.ok(openAfterCrashes.turns > 0, 'the crashes left open turns for recovery');
  const { passes, report } = await recover(data, offset, baseSeed, sinkFile);
  const found = await checkRecovered(data, sinkFile);
  for (const line of [
    `after the crashes: ${openAfterCrashes.turns} open turns, ${openAfterCrashes.rows} pending rows; recovery took ${passes} passes: ${JSON.stringify(report)}`,
    ...found,
    `total ${((Date.now() - started) / 1000).toFixed(1)} s`,
  ])
    t.diagnostic(line);
}

for (const backend of BACKENDS) {
  test(
    `${backend}: SIGKILL at random moments under load: recovery leaves every turn terminal, no send after abort, only droppable duplicates`,
    { skip: unavailable(backend) },
    (t) => crashRounds(backend, t),
  );
}
