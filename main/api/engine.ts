import { parentPort, workerData } from 'node:worker_threads';
import type { AppInfo, IntegrityState } from '../../shared/api';
import { embeddedDemo } from '../demo/embedded';
import { startDemoFeed } from '../demo/run';
import { LifecycleError } from '../lifecycle/errors';
import { RecoveryWorker } from '../recovery/worker';
import { ChangeWatch, passChanged } from './change-watch';
import { startIntegrityCheck } from './integrity';
import { MUTATING_METHODS, type EngineData, type EngineMessage, type HostMessage } from './protocol';
import { openInRole, type Opened } from './roles';
import { createApi } from './service';
import { SqliteStore } from '../store/sqlite/store';

// The API engine: runs in a worker thread (see host.ts) so SQLite work never blocks the host's
// event loop. It owns the one Lifecycle of this process, opened in its role (roles.ts), the
// recovery worker where it may run, the demo feed in demo mode, the integrity check, and pushes
// `changed`/`counts`/`integrity` events to the host.

function post(port: NonNullable<typeof parentPort>, message: EngineMessage): void {
  port.postMessage(message);
}

function main(port: NonNullable<typeof parentPort>, data: EngineData): void {
  let opened: Opened;
  try {
    opened = openInRole(data);
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
    retentionMs: lc.core.config.retentionMs,
  });
  const watch = new ChangeWatch(lc, (event) => post(port, event));
  const api = createApi({ lc, operator: data.operator, info, lastExternalWriteAt: () => watch.lastExternalWriteAt });

  // A real gateway owns delivery and replay; only the demo's simulated gateway gives handlers.
  const gateway = data.demo ? embeddedDemo(lc, data.dbPath) : undefined;
  // The worker runs only where it has handlers (the demo) or where the person asked for it.
  const worker = info().recovering
    ? new RecoveryWorker(new SqliteStore(lc), gateway ? { deliver: gateway.deliver, replay: gateway.replay } : {})
    : undefined;
  worker?.on('error', (err) => console.error(`[lifecycle-desk] recovery pass failed: ${err.message}`));

  let closing = false;
  const checkCounts = (): void => {
    if (!closing) watch.check();
  };

  worker?.on('pass', (report) => {
    if (passChanged(report)) {
      watch.changed();
      checkCounts();
    }
  });

  const countsTimer = setInterval(checkCounts, data.countsIntervalMs ?? 1_000);
  const stopFeed = gateway ? startDemoFeed(gateway, data.demoFeedMs ?? 1_500) : () => undefined;
  worker?.start();
  const checker = startIntegrityCheck(data.dbPath, (state) => {
    integrity = state;
    post(port, { type: 'integrity', integrity: state });
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
      watch.changed();
      checkCounts();
    }
  });

  post(port, { type: 'ready', info: info() });
  checkCounts();
}

if (parentPort && typeof (workerData as Partial<EngineData> | null)?.dbPath === 'string')
  main(parentPort, workerData as EngineData);
