import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker, parentPort, workerData } from 'node:worker_threads';
import type { ApiEvent, AppInfo, DbRole, IntegrityState } from '../../shared/api';
import type { StatusCounts } from '../../shared/types';
import { DEMO_CONFIG, DemoGateway } from '../demo/gateway';
import { startDemoFeed } from '../demo/run';
import { LifecycleError } from '../lifecycle/errors';
import { Lifecycle } from '../lifecycle/lifecycle';
import { SCHEMA_VERSION } from '../lifecycle/migrations';
import type { PassReport } from '../recovery/passes';
import { RecoveryWorker } from '../recovery/worker';
import { MUTATING_METHODS, type EngineData, type EngineMessage, type HostMessage } from './protocol';
import { createApi } from './service';

// The API engine: runs in a worker thread (see host.ts) so SQLite work never blocks the host's
// event loop. It owns the one Lifecycle of this process, the recovery worker, the demo feed
// when in demo mode, and pushes `changed`/`counts` events to the host.

/** The sink (the demo's simulated platform) lives beside the database. */
const DEMO_SINK_FILE = 'demo-sink.jsonl';

function post(port: NonNullable<typeof parentPort>, message: EngineMessage): void {
  port.postMessage(message);
}

/** True when a recovery pass changed anything (any counter above zero). */
export function passChanged(report: PassReport): boolean {
  const anyPositive = (o: object): boolean =>
    Object.values(o).some((v) =>
      typeof v === 'number' ? v > 0 : v !== null && typeof v === 'object' && anyPositive(v),
    );
  return anyPositive(report);
}

/** Counts without their timestamp, for "did anything change" comparisons. */
function countsKey(c: StatusCounts): string {
  return JSON.stringify([c.turns, c.outbox, c.stuckTurns, c.stuckOutbox]);
}

interface Opened {
  lc: Lifecycle;
  role: DbRole;
  roleReason: string;
}

/**
 * Opens the file in the role the person asked for. A file the core may not write (a read-only
 * file or folder) or cannot migrate is opened read-only instead, with the reason as the role's.
 */
function open(data: EngineData): Opened {
  if (data.demo) {
    return {
      lc: Lifecycle.open(data.dbPath, { config: DEMO_CONFIG }),
      role: 'demo',
      roleReason: 'a demo database fed by the simulated gateway and recovered by this app',
    };
  }
  const readOnly = (reason: string): Opened => {
    try {
      return { lc: Lifecycle.open(data.dbPath, { readOnly: true }), role: 'read-only', roleReason: reason };
    } catch (err) {
      if (!(err instanceof LifecycleError && err.code === 'wal_unreadable')) throw err;
      // Better a labelled copy of the real file than nothing: it does not follow later writes.
      const copy = snapshotCopy(data.dbPath);
      return {
        lc: Lifecycle.open(copy, { readOnly: true }),
        role: 'read-only',
        roleReason: `${reason}; ${err.message}, so this is a copy made at ${new Date().toISOString()} (${copy}): it does not show later writes`,
      };
    }
  };
  if (data.readOnly) return readOnly('opened read-only as asked: nothing can be written');
  try {
    const lc = Lifecycle.open(data.dbPath);
    return data.recover
      ? {
          lc,
          role: 'recovering',
          roleReason:
            'you asked this app to run the recovery worker: it expires, finalizes, terminalizes and prunes in this file',
        }
      : {
          lc,
          role: 'observer',
          roleReason: 'another process owns this file: nothing is written except the actions you confirm',
        };
  } catch (err) {
    if (err instanceof LifecycleError && (err.code === 'read_only' || err.code === 'migration_failed')) {
      const shim = SCHEMA_VERSION;
      const opened = readOnly(`opened read-only because ${err.message}`);
      if (opened.lc.fileVersion < shim) {
        opened.roleReason += `; the file has schema version ${opened.lc.fileVersion}, so counts are computed on each read and the per-minute chart is empty`;
      }
      return opened;
    }
    throw err;
  }
}

/** Copies the file and its WAL into a new temp folder, where SQLite may create the -shm file. */
function snapshotCopy(file: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifecycle-desk-snapshot-'));
  const copy = path.join(dir, path.basename(file));
  fs.copyFileSync(file, copy);
  if (fs.existsSync(`${file}-wal`)) fs.copyFileSync(`${file}-wal`, `${copy}-wal`);
  return copy;
}

function main(port: NonNullable<typeof parentPort>, data: EngineData): void {
  let opened: Opened;
  try {
    opened = open(data);
  } catch (err) {
    // Reported to the host as is; never replaced by an empty in-memory database (SPEC, Storage).
    const code = err instanceof LifecycleError ? err.code : 'cannot_open';
    post(port, { type: 'fatal', error: { code, message: (err as Error).message ?? String(err) } });
    return; // no listener is attached, so the thread ends and the message is delivered
  }
  const { lc } = opened;

  let integrity: IntegrityState = { state: 'checking', checked: 0, total: 0, message: null };
  const info = (): AppInfo => ({
    dbPath: data.dbPath,
    schemaVersion: lc.fileVersion,
    demo: data.demo,
    version: data.version,
    operator: data.operator,
    role: opened.role,
    roleReason: opened.roleReason,
    readOnly: lc.core.readOnly,
    recovering: opened.role === 'demo' || opened.role === 'recovering',
    integrity,
  });
  let lastExternalWriteAt: number | null = null;
  const api = createApi({ lc, operator: data.operator, info, lastExternalWriteAt: () => lastExternalWriteAt });

  // A real gateway owns delivery and replay; only the demo's simulated gateway gives handlers.
  let gateway: DemoGateway | undefined;
  if (data.demo) {
    gateway = new DemoGateway(lc, {
      failureRate: 0.2,
      abortRate: 0.02,
      duplicateRate: 0.05,
      latencyMs: 400,
      seed: Date.now() % 2_147_483_647,
      sinkFile: path.join(path.dirname(path.resolve(data.dbPath)), DEMO_SINK_FILE),
    });
  }
  // The worker runs only where it has handlers (the demo) or where the person asked for it.
  const worker = info().recovering
    ? new RecoveryWorker(lc.core, gateway ? { deliver: gateway.deliver, replay: gateway.replay } : {})
    : undefined;
  worker?.on('error', (err) => console.error(`[lifecycle-desk] recovery pass failed: ${err.message}`));

  const emit = (event: ApiEvent): void => post(port, event);
  const changed = (): void => emit({ type: 'changed', at: Date.now() });

  let lastCounts = '';
  let lastDataVersion: number | undefined;
  let closing = false;
  /** Sends `counts` when they differ from the last sent; `changed` when another connection wrote. */
  const checkCounts = (): void => {
    if (closing) return;
    try {
      // data_version moves when another process (a gateway) committed to the file.
      const version = lc.db.pragma('data_version', { simple: true }) as number;
      const counts = lc.status();
      const key = countsKey(counts);
      const external = lastDataVersion !== undefined && version !== lastDataVersion;
      lastDataVersion = version;
      if (external) lastExternalWriteAt = lc.core.now();
      if (key !== lastCounts) {
        const first = lastCounts === '';
        lastCounts = key;
        emit({ type: 'counts', counts });
        if (!first && !external) changed(); // counts moved: some rows did (demo feed, gateway in this file)
      }
      if (external) changed();
    } catch (err) {
      console.error(`[lifecycle-desk] status check failed: ${(err as Error).message}`);
    }
  };

  worker?.on('pass', (report) => {
    if (passChanged(report)) {
      changed();
      checkCounts();
    }
  });

  const countsTimer = setInterval(checkCounts, data.countsIntervalMs ?? 1_000);
  const stopFeed = gateway ? startDemoFeed(gateway, data.demoFeedMs ?? 1_500) : () => undefined;
  worker?.start();
  const checker = startIntegrityCheck(data.dbPath, (state) => {
    integrity = state;
    emit({ type: 'integrity', integrity: state });
  });

  const close = async (): Promise<void> => {
    if (closing) return;
    closing = true;
    clearInterval(countsTimer);
    stopFeed();
    await checker.terminate();
    await worker?.stop();
    lc.close();
    process.exit(0); // ends this thread only; abandons a demo turn still sleeping (recovery finishes it next time)
  };

  port.on('message', (msg: HostMessage) => {
    if ('type' in msg) {
      if (msg.type === 'close') void close();
      return;
    }
    if (closing) {
      post(port, { id: msg.id, result: { ok: false, error: { code: 'unavailable', message: 'the API is closing' } } });
      return;
    }
    const result = api.dispatch(msg.method, msg.args);
    post(port, { id: msg.id, result });
    if (result.ok && typeof msg.method === 'string' && MUTATING_METHODS.has(msg.method)) {
      changed();
      checkCounts();
    }
  });

  post(port, { type: 'ready', info: info() });
  checkCounts();
}

/** The integrity check runs in a thread of its own; a thread that fails says so as its state. */
function startIntegrityCheck(file: string, onState: (state: IntegrityState) => void): Worker {
  const thread = new Worker(path.join(__dirname, 'integrity-thread.js'), { workerData: { file } });
  let final = false;
  thread.on('message', (state: IntegrityState) => {
    if (final) return;
    final = state.state !== 'checking';
    onState(state);
  });
  thread.on('error', (err) => onState({ state: 'unavailable', checked: 0, total: 0, message: err.message }));
  thread.unref();
  return thread;
}

if (parentPort && typeof (workerData as Partial<EngineData> | null)?.dbPath === 'string')
  main(parentPort, workerData as EngineData);
