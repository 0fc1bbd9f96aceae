import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { LifecycleStore } from '../../main/store/contract';
import { int } from './stats';

// The shared shape of a throughput run: `count` turns, `concurrency` of them in flight at
// once (async), each turn a sequence of awaited steps. What a step does and how it commits
// (group commit, one transaction per step…) is up to the benchmark.

export interface ThroughputResult {
  label: string;
  turns: number;
  ms: number;
  /** CPU time (user + system) this process spent during the measured run. */
  cpuMs: number;
  perSec: number;
  /** Transactions committed during the measured run, when the benchmark can count them. */
  commits?: number | undefined;
  /** Sanity check printed next to the figure (e.g. "20,000 delivered"). */
  check: string;
  note?: string | undefined;
}

export interface Elapsed {
  ms: number;
  cpuMs: number;
}

/** Runs `count` turns with `concurrency` in flight; resolves with the elapsed wall and CPU time. */
export async function drive(count: number, concurrency: number, turn: (i: number) => Promise<void>): Promise<Elapsed> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      await turn(i);
    }
  };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000 };
}

const SESSIONS = 500;

/** What a gateway hands the core for one inbound message (same for every benchmark). */
export function inbound(
  run: string,
  i: number,
): {
  channel: string;
  accountId: string;
  externalId: string;
  dedupeKey: string;
  sessionKey: string;
  payload: Record<string, unknown>;
  route: { channel: string; to: string; accountId: string };
} {
  const chat = `chat${i % SESSIONS}`;
  return {
    channel: 'telegram',
    accountId: 'bot1',
    externalId: `${run}-${i}`,
    dedupeKey: `telegram:bot1:${chat}:${run}-${i}`,
    sessionKey: `agent:main:telegram:${chat}`,
    payload: {
      from: { id: 1000 + (i % SESSIONS), name: 'Ada Lovelace' },
      chat: { id: chat, type: 'private' },
      text: 'Could you summarise the last three messages in this thread and suggest a reply?',
      date: 1_700_000_000 + i,
    },
    route: { channel: 'telegram', to: chat, accountId: 'bot1' },
  };
}

/** The final reply the agent produced (same for every benchmark). */
export function reply(i: number): Record<string, unknown> {
  return {
    text: `Here is a short summary of the thread (#${i}): the build is green again, the release is planned for Friday, and Bob asked for review of the migration notes.`,
    parseMode: 'markdown',
  };
}

/** The gateway's steps of a full turn, as the store contract has them (the core adapts its sync calls). */
export type TurnSteps = Pick<LifecycleStore, 'accept' | 'markRunning' | 'enqueue' | 'beginSend' | 'ack' | 'finalize'>;

/** The full turn every benchmark of the core runs: accept → markRunning → enqueue final → beginSend → ack → finalize. */
export function fullTurn(steps: TurnSteps, run: string): (i: number) => Promise<void> {
  return async (i) => {
    const input = inbound(run, i);
    const { turn } = await steps.accept(input);
    await steps.markRunning(turn.id);
    const { row } = await steps.enqueue({
      turnId: turn.id,
      channel: input.route.channel,
      accountId: input.route.accountId,
      target: input.route.to,
      dispatchKind: 'final',
      payload: reply(i),
    });
    await steps.beginSend(row.id);
    await steps.ack(row.id);
    await steps.finalize(turn.id);
  };
}

/** One throughput contender: a full run in a fresh folder of its own under `dir`. */
export type Contender = (dir: string) => Promise<ThroughputResult>;

/**
 * Every contender once per round, in turn, so that each sees the same drift of the machine's
 * load; each round in a fresh folder under `dir` (removed after it, and `dir` at the end). The
 * results by contender, one per round.
 */
export async function runRounds(
  dir: string,
  contenders: readonly Contender[],
  rounds: number,
  log: (line: string) => void = (line) => console.log(line),
): Promise<ThroughputResult[][]> {
  const all: ThroughputResult[][] = contenders.map(() => []);
  try {
    for (let round = 1; round <= rounds; round++) {
      const roundDir = path.join(dir, `round-${round}`);
      fs.mkdirSync(roundDir);
      const line: string[] = [];
      for (const [k, contender] of contenders.entries()) {
        const r = await contender(roundDir);
        all[k]!.push(r);
        line.push(int(r.perSec));
      }
      log(`  round ${round}: ${line.join(' · ')} turns/s (load average ${os.loadavg()[0]!.toFixed(2)})`);
      fs.rmSync(roundDir, { recursive: true, force: true });
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return all;
}
