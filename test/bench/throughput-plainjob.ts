import path from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { better, defineQueue, defineWorker, JobStatus, type Logger } from 'plainjob';
import { int } from './stats';
import { inbound, reply, type ThroughputResult } from './throughput-shared';

// plainjob (a small SQLite job queue for better-sqlite3) doing what it does for one message:
// enqueue a job (its own commit, as a gateway would on each inbound message), then a worker
// claims it (one transaction), runs a no-op processor and marks it done (one more commit).
// It sets WAL + synchronous=NORMAL itself, the same durability as the core.

const silent: Logger = { error() {}, warn() {}, info() {}, debug() {} };

interface Once {
  enqueueMs: number;
  processMs: number;
  cpuMs: number;
  done: number;
}

async function once(file: string, jobs: number, run: string): Promise<Once> {
  const queue = defineQueue({ connection: better(new Database(file)), logger: silent });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < jobs; i++) {
    // The same inbound message and reply the core's turn carries.
    queue.add('reply', { inbound: inbound(run, i), reply: reply(i) });
  }
  const t1 = performance.now();
  let completed = 0;
  let allDone!: () => void;
  const finished = new Promise<void>((resolve) => (allDone = resolve));
  const worker = defineWorker(
    'reply',
    async () => {
      // the send would happen here
    },
    {
      queue,
      logger: silent,
      onCompleted: () => {
        if (++completed === jobs) allDone();
      },
    },
  );
  const running = worker.start();
  await finished;
  const t2 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  await worker.stop();
  await running;
  const done = queue.countJobs({ type: 'reply', status: JobStatus.Done });
  queue.close();
  return { enqueueMs: t1 - t0, processMs: t2 - t1, cpuMs: (cpu.user + cpu.system) / 1000, done };
}

export async function plainjobThroughput(
  dir: string,
  opts: { jobs: number; warmup: number },
): Promise<ThroughputResult> {
  const file = path.join(dir, 'plainjob.db');
  const warm = await once(file, opts.warmup, 'warmup');
  const r = await once(file, opts.jobs, 'run');
  const ms = r.enqueueMs + r.processMs;
  return {
    label: 'plainjob 0.0.14: add → claim → done (1 worker)',
    turns: opts.jobs,
    ms,
    cpuMs: r.cpuMs,
    perSec: (opts.jobs / ms) * 1000,
    check: `${int(r.done - warm.done)} done`,
    note: `enqueue ${int((opts.jobs / r.enqueueMs) * 1000)}/s, process ${int((opts.jobs / r.processMs) * 1000)}/s`,
  };
}
