import { parentPort, workerData } from 'node:worker_threads';
import { LifecycleError } from '../lifecycle/errors';
import { closingExport, exportServer, isExportMessage } from './export-port';
import type { ReaderData, ReaderMessage, ReaderReply } from './protocol';
import { openReader } from './roles';
import { createApi } from './service';

// The reader: a worker thread with a read-only connection of its own, which answers the read
// methods of the API (METHOD_WRITES false) through the same service as the engine. In WAL mode
// a reader never waits for a writer, so the dashboard's reads do not queue behind a recovery
// pass, a prune or an operator action on the engine thread, nor behind another process's
// write. Each call reads the latest commit: a read sent after a write's answer sees that write.

function post(port: NonNullable<typeof parentPort>, message: ReaderReply): void {
  port.postMessage(message);
}

function main(port: NonNullable<typeof parentPort>, data: ReaderData): void {
  let store: ReturnType<typeof openReader>;
  try {
    store = openReader(data.file, data.demo, data.owner);
  } catch (err) {
    const code = err instanceof LifecycleError ? err.code : 'cannot_open';
    post(port, { type: 'fatal', error: { code, message: (err as Error).message ?? String(err) } });
    return;
  }
  // The engine watches for other writers' commits; the host forwards them here for getLiveness.
  let lastExternalWriteAt = data.lastExternalWriteAt;
  const info = data.info;
  const api = createApi({
    store,
    operator: data.operator,
    info: () => info,
    lastExternalWriteAt: () => lastExternalWriteAt,
  });
  let closing = false;
  const exports = exportServer(store, (reply) => post(port, reply));

  port.on('message', (msg: ReaderMessage) => {
    if (isExportMessage(msg)) {
      if (!closing) exports(msg);
      else if (msg.type === 'export-pull') post(port, closingExport(msg.exportId));
      return;
    }
    if ('type' in msg) {
      if (msg.type === 'external-write') lastExternalWriteAt = msg.at;
      else if (msg.type === 'close' && !closing) {
        closing = true;
        void store.close().finally(() => process.exit(0));
      }
      return;
    }
    if (closing) {
      post(port, { id: msg.id, result: { ok: false, error: { code: 'unavailable', message: 'the API is closing' } } });
      return;
    }
    void api.dispatch(msg.method, msg.args).then((result) => post(port, { id: msg.id, result }));
  });
  post(port, { type: 'ready' });
}

if (parentPort && typeof (workerData as Partial<ReaderData> | null)?.file === 'string')
  main(parentPort, workerData as ReaderData);
