// Fleet crash test (multi-process mode): N gateway processes and M recovery-worker processes
// share one database (a SQLite file, or a PostgreSQL database of the test's throwaway cluster,
// each process with its own small pool) and are SIGKILLed at random moments, round after round.
// Then this process recovers the data and checks test/crash/checks.ts, and on top: no call of any process
// threw a busy error, and a row reached the platform twice only where its earlier sender died
// between the send and the commit of its ack (each such case counted and printed).
//
//   CRASH_FLEET_ROUNDS (default 4) · CRASH_GATEWAYS (3) · CRASH_WORKERS (2) · CRASH_SEED
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
import { scaledClock } from '../helpers/contention-child';
import { checkRecovered, countOpen, crashDatabase, recover, type Recovered } from './checks';
import type { FleetChildOptions } from './fleet-child';

const CHILD = path.join(__dirname, 'fleet-child.js');
/** Leases of 10 s lapse in 1 s of real time, so workers take over dead gateways' work within a round. */
const CLOCK_SCALE = 10;
/** A 'mid' child that has not reported working by then is killed and fails the test. */
const RUNNING_TIMEOUT_MS = 60_000;

function envInt(name: string, fallback: number): number {
  const v = process.env[name];
  const n = v === undefined || v === '' ? fallback : Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${v}`);
  return n;
}

interface Child {
  owner: string;
  mode: 'gateway' | 'worker';
  killAt: 'never' | 'early' | 'mid';
  delayMs: number;
  killed: boolean;
  wasRunning: boolean;
  /** A 'mid' child that never reported working (killed after RUNNING_TIMEOUT_MS). */
  neverRan: boolean;
  code: number | null;
  stderr: string;
}

/**
 * Spawns one process and SIGKILLs it: 'early' a random moment after spawn, 'mid' `delayMs` after
 * it reported working. A 'mid' process works until killed (it never runs out of work), so its
 * kill always lands mid-work, however slow or fast the machine.
 */
function runChild(child: Child, options: FleetChildOptions): Promise<Child> {
  return new Promise((resolve, reject) => {
    const o: FleetChildOptions = child.killAt === 'mid' ? { ...options, untilKilled: true } : options;
    const proc = spawn(process.execPath, [CHILD, child.mode, JSON.stringify(o)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let timer: NodeJS.Timeout | undefined;
    const kill = (): void => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    };
    if (child.killAt === 'early') timer = setTimeout(kill, child.delayMs);
    if (child.killAt === 'mid') {
      timer = setTimeout(() => {
        child.neverRan = true;
        kill();
      }, RUNNING_TIMEOUT_MS);
    }
    let stdout = '';
    proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (!child.wasRunning && stdout.includes('running\n')) {
        child.wasRunning = true;
        if (child.killAt === 'mid') {
          clearTimeout(timer);
          timer = setTimeout(kill, child.delayMs);
        }
      }
    });
    proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (child.stderr += chunk));
    proc.on('error', reject);
    proc.on('exit', (code, signal) => {
      clearTimeout(timer);
      child.code = code;
      child.killed = signal === 'SIGKILL';
      resolve(child);
    });
  });
}

async function fleet(backend: Backend, t: TestContext): Promise<void> {
  const started = Date.now();
  const rounds = envInt('CRASH_FLEET_ROUNDS', 4);
  const gateways = envInt('CRASH_GATEWAYS', 3);
  const workers = envInt('CRASH_WORKERS', 2);
  const seed = envInt('CRASH_SEED', Date.now() % 1_000_000);
  const random = seededRandom(seed);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifecycle-fleet-'));
  // A file in the test's dir, or a new empty database: the first process creates the schema.
  const db = backend === 'sqlite' ? path.join(dir, 'message-lifecycle.db') : await crashDatabase('fleet');
  const sink = path.join(dir, 'sink.jsonl');
  const origin = Date.now();
  const opened: LifecycleStore[] = [];
  t.after(async () => {
    for (const s of opened) await s.close();
    if (process.env.CRASH_KEEP) t.diagnostic(`kept ${dir}${backend === 'postgres' ? ` and ${db}` : ''}`);
    else fs.rmSync(dir, { recursive: true, force: true });
  });

  const all: Child[] = [];
  for (let round = 0; round < rounds; round++) {
    const children: Promise<Child>[] = [];
    for (let i = 0; i < gateways + workers; i++) {
      const mode = i < gateways ? 'gateway' : 'worker';
      const roll = random();
      // Most processes die: some before or while opening the database, most mid-work; in the last
      // round all of them, so this process has work of dead processes to recover.
      const last = round === rounds - 1;
      const killAt = last ? 'mid' : roll < 0.15 ? 'early' : roll < 0.8 ? 'mid' : 'never';
      const child: Child = {
        owner: `${mode}-${round}-${i}`,
        mode,
        killAt,
        delayMs: killAt === 'early' ? Math.floor(random() * 300) : 50 + Math.floor(random() * (last ? 300 : 1_500)),
        killed: false,
        wasRunning: false,
        neverRan: false,
        code: null,
        stderr: '',
      };
      all.push(child);
      children.push(
        runChild(child, {
          db,
          sink,
          owner: child.owner,
          seed: seed + round * 101 + i,
          turns: 400,
          runMs: 2_500,
          clockScale: CLOCK_SCALE,
          clockOrigin: origin,
        }),
      );
    }
    await Promise.all(children);
  }
  const crashSecs = (Date.now() - started) / 1000;

  for (const c of all) {
    if (!c.killed) assert.equal(c.code, 0, `${c.owner} exited with ${c.code}: ${c.stderr}`);
    // No process saw a busy error or an error of any kind: what it had to say, it said on stderr.
    assert.doesNotMatch(
      c.stderr,
      /locked|SQLITE_BUSY|recovery pass failed|crash child failed/,
      `${c.owner}: ${c.stderr}`,
    );
    if (c.killAt === 'mid') {
      assert.ok(!c.neverRan, `${c.owner}: did not report working within ${RUNNING_TIMEOUT_MS} ms: ${c.stderr}`);
      // By construction (it works until killed, and the kill waits for "running"): never timing.
      assert.ok(c.killed && c.wasRunning, `${c.owner}: a mid process was not killed mid-work`);
    }
  }
  const killed = all.filter((c) => c.killed);
  const midWork = killed.filter((c) => c.wasRunning);
  const planned = (k: Child['killAt']): number => all.filter((c) => c.killAt === k).length;
  assert.ok(midWork.length >= all.length / 3, `only ${midWork.length} of ${all.length} processes were killed mid-work`);

  const offset = { ms: 0 };
  const clock = scaledClock(CLOCK_SCALE, origin);
  const store = await openStore(db, { config: DEMO_CONFIG, owner: 'recovery', now: () => clock() + offset.ms });
  opened.push(store);
  const data: Recovered = { store, sql: storeSql(store) };
  const openAfterCrashes = await countOpen(data);
  assert.ok(openAfterCrashes.turns + openAfterCrashes.rows > 0, 'the last round left work for recovery');
  const { passes, report } = await recover(data, offset, seed, sink);
  assert.equal(report.errors, 0, 'recovery passes had no errors');
  const found = await checkRecovered(data, sink, { killedOwners: new Set(killed.map((c) => c.owner)) });
  const by = (mode: string): string =>
    `${all.filter((c) => c.mode === mode).length} ${mode}s (${killed.filter((c) => c.mode === mode).length} killed)`;
  for (const line of [
    `${backend}: seed ${seed} (CRASH_SEED replays the choices, not the timing): ${rounds} rounds of ${gateways} gateways + ${workers} workers; ` +
      `${by('gateway')}, ${by('worker')}; planned ${planned('early')} early, ${planned('mid')} mid, ${planned('never')} never; ` +
      `${killed.length} kills (${midWork.length} mid-work, ${killed.length - midWork.length} before working), ` +
      `${all.length - killed.length} finished on their own; crash phase ${crashSecs.toFixed(1)} s`,
    `after the crashes: ${openAfterCrashes.turns} open turns, ${openAfterCrashes.rows} pending rows; recovery took ${passes} passes: ${JSON.stringify(report)}`,
    ...found,
    `total ${((Date.now() - started) / 1000).toFixed(1)} s`,
  ])
    t.diagnostic(line);
}

for (const backend of BACKENDS) {
  test(
    `${backend}: fleet: gateways and workers on one database, SIGKILLed at random, then recovered`,
    { skip: unavailable(backend) },
    (t) => fleet(backend, t),
  );
}
