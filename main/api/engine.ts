import { parentPort, workerData } from 'node:worker_threads';
import type { AppInfo, IntegrityState } from '../../shared/api';
import { embeddedDemo } from '../demo/embedded';
import { startDemoFeed } from '../demo/run';
import { LifecycleError } from '../lifecycle/errors';
import { RecoveryWorker } from '../recovery/worker';
import { SqliteStore } from '../store/sqlite/store';
import { ChangeWatch, passChanged } from './change-watch';
import { closingExport, exportServer, isExportMessage } from './export-port';
import { startIntegrityCheck } from './integrity';
import { BulkJobs } from './jobs';
import { MUTATING_METHODS, type EngineData, type EngineMessage, type HostMessage } from './protocol';
import { openInRole, type Opened } from './roles';
import { createApi } from './service';

// The API engine: runs in a worker thread (see host.ts) so database work never blocks the host's
// event loop. It owns the writable store of this process, opened in its role (roles.ts), the
// recovery worker where it may run, the demo feed in demo mode, the integrity check, and pushes
// `changed`/`counts`/`integrity` events to the host. On a SQLite file the read methods are
// answered by a reader thread (reader.ts) instead, so that they never wait for the work here;
// the engine answers them too when there is no reader (PostgreSQL, or the reader failed).

function post(port: NonNullable<typeof parentPort>, message: EngineMessage): void {
  port.postMessage(message);
}

/** PostgreSQL checks its own pages; the file check (PRAGMA quick_check) is SQLite's. */
const NOT_A_FILE: IntegrityState = {
  state: 'ok',
  checked: 0,
  total: 0,
  message: 'a PostgreSQL database: the server checks its own data',
};

async function main(port: NonNullable<typeof parentPort>, data: EngineData): Promise<void> {
  let opened: Opened;
  try {
    opened = await openInRole(data);
  } catch (err) {
    // Reported to the host as is; never replaced by an empty in-memory database (SPEC, Storage).
    const code = err instanceof LifecycleError ? err.code : 'cannot_open';
    post(port, { type: 'fatal', error: { code, message: (err as Error).message ?? String(err) } });
    return; // no listener is attached, so the thread ends and the message is delivered
  }
  const { store } = opened;
  const sqlite = store instanceof SqliteStore ? store : undefined;

  let searchIndex = sqlite?.searchIndexState();
  let integrity: IntegrityState = sqlite ? { state: 'checking', checked: 0, total: 0, message: null } : NOT_A_FILE;
  const info = (): AppInfo => ({
    dbPath: store.location,
    schemaVersion: store.fileVersion,
    demo: data.demo,
    version: data.version,
    operator: data.operator,
    role: opened.role,
    roleReason: opened.roleReason,
    readOnly: store.readOnly,
    recovering: opened.role === 'demo' || opened.role === 'recovering',
    integrity,
    retentionMs: store.config.retentionMs,
    attentionWindowMs: store.config.attentionWindowMs,
    ...(searchIndex ? { searchIndex } : {}),
  });
  const watch = new ChangeWatch(
    store,
    (event) => post(port, event),
    (at) => post(port, { type: 'external-write', at }),
  );
  let closing = false;
  const checkCounts = (): void => {
    if (!closing) watch.check();
  };
  // A job's progress (at most 4 a second, and its end) also tells the views that rows changed.
  const jobs = new BulkJobs({
    store,
    operator: data.operator,
    emit: (job) => {
      post(port, { type: 'job', job });
      watch.changed();
      checkCounts();
    },
  });
  const api = createApi({
    store,
    operator: data.operator,
    info,
    lastExternalWriteAt: () => watch.lastExternalWriteAt,
    jobs,
  });

  // A real gateway owns delivery and replay; only the demo's simulated gateway gives handlers.
  const gateway = data.demo ? embeddedDemo(store, data.dbPath) : undefined;
  // The worker runs only where it has handlers (the demo) or where the person asked for it.
  const worker = info().recovering
    ? new RecoveryWorker(store, gateway ? { deliver: gateway.deliver, replay: gateway.replay } : {})
    : undefined;
  worker?.on('error', (err) => console.error(`[lifecycle-desk] recovery pass failed: ${err.message}`));

  worker?.on('pass', (report) => {
    if (passChanged(report)) {
      watch.changed();
      checkCounts();
    }
  });

  const countsTimer = setInterval(checkCounts, data.countsIntervalMs ?? 1_000);
  const stopFeed = gateway ? startDemoFeed(gateway, data.demoFeedMs ?? 1_500) : () => undefined;
  worker?.start();
  const checker = sqlite
    ? startIntegrityCheck(sqlite.location, (state) => {
        integrity = state;
        post(port, { type: 'integrity', integrity: state });
      })
    : undefined;

  // What migrations 5 and 6 left to do for the rows already in the file, in the background of
  // the process that opened it writable: first the per-channel counts (stats-backfill.ts: seconds
  // on a million turns; getChannelStats says how far it got), then the search index
  // (search-backfill.ts: minutes; searchIndex says how far it got).
  const backfill = (async (): Promise<void> => {
    try {
      while (sqlite && !sqlite.readOnly && !closing && sqlite.statsFillState()?.state === 'building') {
        await sqlite.fillStats(5_000);
      }
    } catch (err) {
      if (!closing) console.error(`[lifecycle-desk] per-channel counting stopped: ${(err as Error).message}`);
    }
    try {
      while (sqlite && !sqlite.readOnly && !closing && searchIndex?.state === 'building') {
        await sqlite.backfillSearch(1_000);
        searchIndex = sqlite.searchIndexState();
      }
    } catch (err) {
      if (!closing) console.error(`[lifecycle-desk] search index backfill stopped: ${(err as Error).message}`);
    }
  })();

  const close = async (): Promise<void> => {
    if (closing) return;
    closing = true;
    await backfill;
    clearInterval(countsTimer);
    stopFeed();
    watch.stop();
    await jobs.stop(); // each ends after its current batch, with its audit entry
    await checker?.terminate();
    await worker?.stop();
    await store.close();
    process.exit(0); // ends this thread only; abandons a demo turn still sleeping (recovery finishes it next time)
  };

  // Where there is no reader thread (PostgreSQL), exports run here, pulled chunk by chunk.
  const exports = exportServer(store, (reply) => post(port, reply));

  port.on('message', (msg: HostMessage) => {
    if (isExportMessage(msg)) {
      if (!closing) exports(msg);
      else if (msg.type === 'export-pull') post(port, closingExport(msg.exportId));
      return;
    }
    if ('type' in msg) {
      if (msg.type === 'close') void close();
      return;
    }
    if (closing) {
      post(port, { id: msg.id, result: { ok: false, error: { code: 'unavailable', message: 'the API is closing' } } });
      return;
    }
    void api.dispatch(msg.method, msg.args).then((result) => {
      post(port, { id: msg.id, result });
      if (result.ok && typeof msg.method === 'string' && MUTATING_METHODS.has(msg.method)) {
        watch.changed();
        checkCounts();
      }
    });
  });

  // PostgreSQL's pool already runs reads beside writes (MVCC, a connection each), and this
  // thread only waits on the network for them: a reader thread would add nothing but a pool.
  post(port, { type: 'ready', info: info(), owner: store.owner, reader: sqlite !== undefined });
  checkCounts();
}

if (parentPort && typeof (workerData as Partial<EngineData> | null)?.dbPath === 'string')
  void main(parentPort, workerData as EngineData);
