// Shared by the unit tests: real SQLite files in fresh temp dirs, and a clock the test moves.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Lifecycle, type LifecycleOptions } from '../../main/lifecycle';

/** A clock the test moves by hand; pass `() => clock.t` as the core's `now`. */
export interface Clock {
  t: number;
  /** Moves the clock forward and returns the new time. */
  advance(ms: number): number;
}

/** 2025-01-01T00:00:00Z: a fixed, realistic epoch so tests do not depend on the wall clock. */
export const T0 = Date.UTC(2025, 0, 1);

export function makeClock(start = T0): Clock {
  const clock: Clock = {
    t: start,
    advance(ms: number): number {
      clock.t += ms;
      return clock.t;
    },
  };
  return clock;
}

const made: string[] = [];
let cleanupRegistered = false;

/** A new empty directory under the OS temp dir, removed when the process exits. */
export function tempDir(prefix = 'lifecycle-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  if (!cleanupRegistered) {
    cleanupRegistered = true;
    process.on('exit', () => {
      for (const d of made) fs.rmSync(d, { recursive: true, force: true });
    });
  }
  return dir;
}

export type TempOptions = Omit<LifecycleOptions, 'now'> & {
  /** Defaults to a new clock at T0. */
  clock?: Clock;
  /** Defaults to `message-lifecycle.db` in a new temp dir. */
  file?: string;
};

export interface Temp {
  lc: Lifecycle;
  file: string;
  dir: string;
  clock: Clock;
}

/** Opens a Lifecycle on a real file (a new one unless `file` is given) with a test clock. */
export function openTemp(options: TempOptions = {}): Temp {
  const { clock = makeClock(), file: given, ...rest } = options;
  const file = given ?? path.join(tempDir(), 'message-lifecycle.db');
  const lc = Lifecycle.open(file, { ...rest, now: () => clock.t });
  return { lc, file, dir: path.dirname(file), clock };
}

/** Another Lifecycle (another "process") on the same file and clock. */
export function openPeer(
  temp: Pick<Temp, 'file' | 'clock'>,
  options: Omit<TempOptions, 'clock' | 'file'> = {},
): Lifecycle {
  return Lifecycle.open(temp.file, { ...options, now: () => temp.clock.t });
}

export function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** A route and payload that a replay could use: the minimum for a valid inbound message. */
export const ROUTE = { channel: 'telegram', to: 'chat-1' } as const;

let seq = 0;
/** A unique id with a readable prefix. */
export function uid(prefix = 'id'): string {
  seq += 1;
  return `${prefix}-${seq.toString().padStart(5, '0')}`;
}

/** Resolves after `ms` of real time (only for letting handlers interleave, never for assertions). */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A closed file in a temp dir holding one running turn of session `s1`; with `failure`, its
 * live processing failed with that error (so it can be replayed).
 */
export function fileWithTurn(failure?: string): { file: string; turnId: string } {
  const file = path.join(tempDir(), 'message-lifecycle.db');
  const lc = Lifecycle.open(file);
  try {
    const { turn } = lc.accept({ channel: 'telegram', sessionKey: 's1', payload: { text: 'hello' }, route: ROUTE });
    lc.markRunning(turn.id);
    if (failure !== undefined) lc.recordFailure(turn.id, failure);
    return { file, turnId: turn.id };
  } finally {
    lc.close();
  }
}
