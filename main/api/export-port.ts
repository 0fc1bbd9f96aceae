import type { ApiError } from '../../shared/api';
import type { LifecycleStore } from '../store/contract';
import { LifecycleError } from '../lifecycle/errors';
import { exportChunks, parseExport, type ExportCount } from './export';

// An export runs in the thread that answers reads (a reader on SQLite, the engine otherwise) and
// is pulled by the host one chunk at a time: the thread reads the next page only when the host
// asked for it, i.e. when the socket or the file took the previous one. Nothing piles up in
// between however slow the consumer is.

/** Host → thread. The first pull of an export carries its request. */
export type ExportMessage =
  { type: 'export-pull'; exportId: number; request?: unknown } | { type: 'export-stop'; exportId: number };

/** Thread → host: the next chunk, or null at the end (or with the error that ended it). */
export interface ExportReply {
  type: 'export-chunk';
  exportId: number;
  chunk: string | null;
  rows: number;
  error?: ApiError;
}

interface Open {
  chunks: AsyncGenerator<string, void, undefined>;
  count: ExportCount;
}

export function isExportMessage(msg: unknown): msg is ExportMessage {
  const type = (msg as { type?: unknown } | null)?.type;
  return type === 'export-pull' || type === 'export-stop';
}

/** Serves the exports of one thread over its store. */
export function exportServer(store: LifecycleStore, reply: (r: ExportReply) => void): (msg: ExportMessage) => void {
  const open = new Map<number, Open>();
  const fail = (exportId: number, rows: number, err: unknown): void => {
    open.delete(exportId);
    const code = err instanceof LifecycleError ? err.code : 'internal';
    reply({
      type: 'export-chunk',
      exportId,
      chunk: null,
      rows,
      error: { code, message: (err as Error).message ?? String(err) },
    });
  };
  return (msg) => {
    const { exportId } = msg;
    if (msg.type === 'export-stop') {
      const current = open.get(exportId);
      open.delete(exportId);
      void current?.chunks.return(undefined);
      return;
    }
    let current = open.get(exportId);
    if (!current) {
      const parsed = parseExport(msg.request);
      if (!parsed.ok) return fail(exportId, 0, new LifecycleError('invalid_argument', parsed.message));
      const count: ExportCount = { rows: 0 };
      current = { chunks: exportChunks(store, parsed.request, count), count };
      open.set(exportId, current);
    }
    const { chunks, count } = current;
    chunks.next().then(
      (next) => {
        if (next.done) open.delete(exportId);
        reply({ type: 'export-chunk', exportId, chunk: next.done ? null : next.value, rows: count.rows });
      },
      (err: unknown) => fail(exportId, count.rows, err),
    );
  };
}

/** The answer to a pull that arrives while the thread closes. */
export function closingExport(exportId: number): ExportReply {
  return {
    type: 'export-chunk',
    exportId,
    chunk: null,
    rows: 0,
    error: { code: 'unavailable', message: 'the API is closing' },
  };
}
