import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  type ApiArgs,
  type ApiCaller,
  type ApiError,
  type ApiEvent,
  type ApiMethod,
  type ApiResult,
  type ApiResults,
  type AppInfo,
  type ExportRequest,
} from '../../shared/api';
import type { StatusCounts } from '../../shared/types';
import { isPostgresUrl } from '../store/location';
import { CONTENT_TYPES, exportFilename, parseExport } from './export';
import type { ExportReply } from './export-port';
import { threadFor } from './routing';
import type { EngineData, EngineMessage, HostMessage, ReaderData, ReaderMessage, ReaderReply } from './protocol';

export interface ApiHostOptions {
  dbPath: string;
  demo?: boolean;
  /** Run the recovery worker (without handlers) on a file another process owns. */
  recover?: boolean;
  /** Open the file so that nothing can be written. */
  readOnly?: boolean;
  /** Who operator actions are recorded as; default `desk:<login name>`. */
  operator?: string;
  /** Default: the version in package.json. */
  version?: string;
  /** The compiled engine; default `engine.js` next to this file. */
  enginePath?: string;
  /**
   * Threads that answer the read methods, each with a read-only connection of its own (SQLite
   * only), so that reads never wait behind the engine's writes, and one slow read does not hold
   * up the others; default 2. 0: the engine answers everything on one connection (as before).
   */
  readers?: number;
  /** The compiled reader; default `reader.js` next to this file. */
  readerPath?: string;
  /** How long close() waits for the engine to stop cleanly before terminating it; default 15 s. */
  closeTimeoutMs?: number;
  /** See EngineData. */
  countsIntervalMs?: number;
  demoFeedMs?: number;
}

/** Why start() failed: the engine's own error (e.g. `not_sqlite`) with its message. */
export class ApiHostError extends Error {
  override readonly name = 'ApiHostError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface Pending {
  resolve: (result: ApiResult<unknown>) => void;
  /** The reader it was sent to (whose end fails only its own calls); none: the engine. */
  reader: Reader | undefined;
}

/** An export the host reads: its chunks are pulled from the thread one at a time. */
export interface ExportStream {
  request: ExportRequest;
  /** E.g. `lifecycle-turns-2026-12-01.csv`. */
  filename: string;
  contentType: string;
  /** Throws ExportFailed when the thread could not go on (the rows written so far stay written). */
  chunks: AsyncGenerator<string, void, undefined>;
  /** Rows in the chunks pulled so far. */
  rows(): number;
}

export class ExportFailed extends Error {
  override readonly name = 'ExportFailed';
  constructor(readonly error: ApiError) {
    super(error.message);
  }
}

interface PendingExport {
  resolve: (reply: ExportReply) => void;
  reader: Reader | undefined;
}

interface Reader {
  thread: Worker;
  /** Calls sent and not yet answered: a read goes to the reader with the fewest. */
  inFlight: number;
}

/** Reader threads by default: two cores' worth, so that one slow read leaves another free. */
const DEFAULT_READERS = 2;

function unavailable(message: string): { ok: false; error: ApiError } {
  return { ok: false, error: { code: 'unavailable', message } };
}

export function defaultOperator(): string {
  let name: string | undefined;
  try {
    name = os.userInfo().username;
  } catch {
    // no passwd entry (some containers)
  }
  return `desk:${name || process.env.USER || process.env.USERNAME || 'unknown'}`;
}

export function packageVersion(): string {
  // dist/main/api/host.js → package.json at the root (also main/api/host.ts under ts-node).
  for (const rel of ['../../../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, rel), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (pkg.name === 'lifecycle-desk' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // try the next candidate
    }
  }
  return '0.0.0';
}

/**
 * The API in the host process: a worker thread (engine.ts) owns the database; this class
 * forwards calls to it and its push events to listeners. On a SQLite file a second thread
 * (reader.ts) with a read-only connection answers the read methods, so that a read never
 * waits for the engine's writes and passes. It implements ApiClient, so the
 * Electron IPC adapter and the HTTP server only forward to it. Calls never reject: a call
 * after close() or after the engine died resolves `{ ok: false, error: { code: 'unavailable' } }`;
 * so do the reads in flight when the reader ends on its own, after which the engine answers reads.
 */
export class ApiHost implements ApiCaller {
  private readonly pending = new Map<number, Pending>();
  private readonly exports = new Map<number, PendingExport>();
  private readonly listeners = new Set<(event: ApiEvent) => void>();
  private nextId = 1;
  private state: 'open' | 'closing' | 'closed' = 'open';
  private readonly exited: Promise<void>;
  /** Why the engine is gone, if it died on its own. */
  private failure: string | undefined;
  private counts: StatusCounts | undefined;
  private readonly readers: Reader[] = [];
  private readersExited: Promise<void>[] = [];
  private lastExternalWriteAt: number | null = null;

  /** What getInfo answers, kept current with the integrity check's progress. */
  get info(): AppInfo {
    return this.currentInfo;
  }

  private constructor(
    private readonly worker: Worker,
    private currentInfo: AppInfo,
    private readonly closeTimeoutMs: number,
    /** What was opened (a URL with its password): for reopening it, never to be shown. */
    readonly target: string,
  ) {
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    worker.on('message', (msg: EngineMessage) => this.onMessage(msg));
    worker.on('error', (err) => {
      this.failure = `the API engine crashed: ${err.message}`;
      console.error(`[lifecycle-desk] ${this.failure}`);
    });
    worker.on('exit', (code) => {
      if (this.state === 'open') this.failure ??= `the API engine stopped (exit code ${code})`;
      this.state = 'closed';
      // Without the engine the API is unavailable as a whole: the readers go too.
      this.tellReaders({ type: 'close' });
      this.failAll(this.failure ?? 'the API is closed');
    });
  }

  /** Starts the engine on `dbPath`; rejects with the engine's error if the database cannot be opened. */
  static start(options: ApiHostOptions): Promise<ApiHost> {
    const data: EngineData = {
      dbPath: isPostgresUrl(options.dbPath) ? options.dbPath : path.resolve(options.dbPath),
      demo: options.demo ?? false,
      recover: options.recover ?? false,
      readOnly: options.readOnly ?? false,
      operator: options.operator ?? defaultOperator(),
      version: options.version ?? packageVersion(),
      ...(options.countsIntervalMs !== undefined ? { countsIntervalMs: options.countsIntervalMs } : {}),
      ...(options.demoFeedMs !== undefined ? { demoFeedMs: options.demoFeedMs } : {}),
    };
    const enginePath = options.enginePath ?? path.join(__dirname, 'engine.js');
    return new Promise((resolve, reject) => {
      let worker: Worker;
      try {
        worker = new Worker(enginePath, { workerData: data, stdout: false, stderr: false });
      } catch (err) {
        reject(
          new ApiHostError('cannot_start', `cannot start the API engine (${enginePath}): ${(err as Error).message}`),
        );
        return;
      }
      let settled = false;
      const early: EngineMessage[] = [];
      const cleanup = (): void => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
      };
      const fail = (err: ApiHostError): void => {
        if (settled) return;
        settled = true;
        cleanup();
        void worker.terminate();
        reject(err);
      };
      const onMessage = (msg: EngineMessage): void => {
        if (settled) return;
        if ('type' in msg && msg.type === 'fatal') {
          fail(new ApiHostError(msg.error.code, msg.error.message));
        } else if ('type' in msg && msg.type === 'ready') {
          settled = true;
          cleanup();
          const host = new ApiHost(worker, msg.info, options.closeTimeoutMs ?? 15_000, data.dbPath);
          for (const m of early) host.onMessage(m);
          const reader: Omit<ReaderData, 'info' | 'lastExternalWriteAt'> = {
            file: msg.info.dbPath,
            demo: data.demo,
            owner: msg.owner,
            operator: data.operator,
          };
          const count = msg.reader ? (options.readers ?? DEFAULT_READERS) : 0;
          const readerPath = options.readerPath ?? path.join(__dirname, 'reader.js');
          void Promise.all(Array.from({ length: count }, () => host.startReader(reader, readerPath))).then(() =>
            resolve(host),
          );
        } else {
          early.push(msg); // an event racing 'ready' is not lost
        }
      };
      const onError = (err: Error): void =>
        fail(new ApiHostError('cannot_start', `the API engine failed to start: ${err.message}`));
      const onExit = (code: number): void =>
        fail(new ApiHostError('cannot_start', `the API engine exited before it was ready (exit code ${code})`));
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
    });
  }

  /**
   * Starts a reader thread; resolves once it answers, or failed to open, in which case it is not
   * used (without any reader the engine answers the reads), and the reason is printed.
   */
  private startReader(data: Omit<ReaderData, 'info' | 'lastExternalWriteAt'>, readerPath: string): Promise<void> {
    const workerData: ReaderData = { ...data, info: this.currentInfo, lastExternalWriteAt: this.lastExternalWriteAt };
    let thread: Worker;
    try {
      thread = new Worker(readerPath, { workerData, stdout: false, stderr: false });
    } catch (err) {
      console.error(
        `[lifecycle-desk] cannot start a reader thread (without readers the engine answers reads): ${(err as Error).message}`,
      );
      return Promise.resolve();
    }
    const reader: Reader = { thread, inFlight: 0 };
    this.readersExited.push(new Promise((resolve) => thread.once('exit', () => resolve())));
    return new Promise((resolve) => {
      let ready = false;
      thread.on('message', (msg: ReaderReply) => {
        if ('exportId' in msg) {
          reader.inFlight--;
          this.settleExport(msg);
        } else if ('id' in msg) {
          reader.inFlight--;
          this.settle(msg.id, msg.result);
        } else if (msg.type === 'ready' && !ready) {
          ready = true;
          // Closed or dead meanwhile: the thread is not used, and close() waits for its end.
          if (this.state === 'open') this.readers.push(reader);
          else thread.postMessage({ type: 'close' } satisfies ReaderMessage);
          resolve();
        } else if (msg.type === 'fatal') {
          console.error(
            `[lifecycle-desk] a reader thread cannot open the file and is not used (without readers the engine answers reads): ${msg.error.message}`,
          );
        }
      });
      thread.on('error', (err) => console.error(`[lifecycle-desk] a reader thread crashed: ${err.message}`));
      thread.on('exit', (code) => {
        const i = this.readers.indexOf(reader);
        if (i >= 0) this.readers.splice(i, 1);
        if (i >= 0 && this.state === 'open') {
          const rest = this.readers.length > 0 ? 'the other readers answer reads' : 'the engine answers reads';
          console.error(`[lifecycle-desk] a reader thread stopped (exit code ${code}); ${rest}`);
        }
        this.failAll('the reader thread stopped', reader);
        resolve();
      });
    });
  }

  call<M extends ApiMethod>(method: M, args: ApiArgs<M>): Promise<ApiResult<ApiResults[M]>> {
    return this.callRaw(method, args) as Promise<ApiResult<ApiResults[M]>>;
  }

  /**
   * The same call for transports that carry untrusted input (HTTP, IPC): method and arguments
   * are validated by the engine's dispatch, which answers unknown_method / invalid_argument.
   */
  callRaw(method: unknown, args: unknown): Promise<ApiResult<unknown>> {
    if (this.state !== 'open') return Promise.resolve(unavailable(this.failure ?? 'the API is closed'));
    const id = this.nextId++;
    const reader = threadFor(method) === 'reader' ? this.leastBusyReader() : undefined;
    return new Promise((resolve) => {
      this.pending.set(id, { resolve, reader });
      try {
        (reader?.thread ?? this.worker).postMessage({ id, method, args } satisfies HostMessage);
        if (reader) reader.inFlight++;
      } catch (err) {
        // e.g. DataCloneError: arguments that are not plain data
        this.pending.delete(id);
        resolve({
          ok: false,
          error: { code: 'invalid_argument', message: `arguments cannot be sent: ${(err as Error).message}` },
        });
      }
    });
  }

  /**
   * Every row matching an export request, as chunks pulled from the thread that answers reads
   * (a reader on SQLite, so that a long export never delays the engine's writes), one page per
   * pull: the consumer's pace sets the pace of the reads. Untrusted input: validated here.
   */
  openExport(raw: unknown): ApiResult<ExportStream> {
    if (this.state !== 'open') return unavailable(this.failure ?? 'the API is closed');
    const parsed = parseExport(raw);
    if (!parsed.ok) return { ok: false, error: { code: 'invalid_argument', message: parsed.message } };
    const { request } = parsed;
    const count = { rows: 0 };
    return {
      ok: true,
      value: {
        request,
        filename: exportFilename(request, Date.now()),
        contentType: CONTENT_TYPES[request.format],
        chunks: this.pullExport(request, count),
        rows: () => count.rows,
      },
    };
  }

  private async *pullExport(request: ExportRequest, count: { rows: number }): AsyncGenerator<string, void, undefined> {
    const exportId = this.nextId++;
    // One thread serves the whole export: it holds the cursor.
    const reader = this.leastBusyReader();
    const thread = reader?.thread ?? this.worker;
    let ended = false;
    try {
      for (let first = true; ; first = false) {
        if (this.state !== 'open')
          throw new ExportFailed({ code: 'unavailable', message: this.failure ?? 'the API is closed' });
        const reply = await new Promise<ExportReply>((resolve) => {
          this.exports.set(exportId, { resolve, reader });
          thread.postMessage({ type: 'export-pull', exportId, ...(first ? { request } : {}) } satisfies HostMessage);
          if (reader) reader.inFlight++;
        });
        count.rows = Math.max(count.rows, reply.rows);
        if (reply.error) {
          ended = true;
          throw new ExportFailed(reply.error);
        }
        if (reply.chunk === null) {
          ended = true;
          return;
        }
        yield reply.chunk;
      }
    } finally {
      this.exports.delete(exportId);
      // The consumer stopped early (a closed socket, a cancelled save): the thread drops the cursor.
      if (!ended && this.state === 'open') {
        try {
          thread.postMessage({ type: 'export-stop', exportId } satisfies HostMessage);
        } catch {
          // the thread is ending
        }
      }
    }
  }

  private settleExport(reply: ExportReply): void {
    const pending = this.exports.get(reply.exportId);
    this.exports.delete(reply.exportId);
    pending?.resolve(reply);
  }

  onEvent(listener: (event: ApiEvent) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** The last `counts` the engine pushed, for a view (or an SSE stream) that subscribes late. */
  get lastCounts(): StatusCounts | undefined {
    return this.counts;
  }

  /** True until close() was called or the engine died. */
  get available(): boolean {
    return this.state === 'open';
  }

  /** Stops the engine cleanly (worker stopped, database closed) and the readers; idempotent. */
  async close(): Promise<void> {
    if (this.state === 'open') {
      this.state = 'closing';
      const readers = [...this.readers];
      const timer = setTimeout(() => {
        console.error('[lifecycle-desk] the API engine did not stop in time; terminating it');
        for (const r of readers) void r.thread.terminate();
        void this.worker.terminate();
      }, this.closeTimeoutMs);
      // The readers first: the engine's connection, closed last, checkpoints and removes the WAL.
      this.tellReaders({ type: 'close' });
      await Promise.all(this.readersExited);
      this.worker.postMessage({ type: 'close' } satisfies HostMessage);
      await this.exited;
      clearTimeout(timer);
    } else {
      await Promise.all([this.exited, ...this.readersExited]);
    }
    this.listeners.clear();
  }

  private leastBusyReader(): Reader | undefined {
    let best: Reader | undefined;
    for (const r of this.readers) if (!best || r.inFlight < best.inFlight) best = r;
    return best;
  }

  private settle(id: number, result: ApiResult<unknown>): void {
    const pending = this.pending.get(id);
    this.pending.delete(id);
    pending?.resolve(result);
  }

  /** Forwards what only the engine knows to the reader threads. */
  private tellReaders(message: ReaderMessage): void {
    for (const r of this.readers) {
      try {
        r.thread.postMessage(message);
      } catch {
        // this reader is ending: its exit hands its reads back
      }
    }
  }

  private onMessage(msg: EngineMessage): void {
    if ('id' in msg) {
      this.settle(msg.id, msg.result);
      return;
    }
    if (msg.type === 'export-chunk') {
      this.settleExport(msg);
      return;
    }
    if (msg.type === 'external-write') {
      this.lastExternalWriteAt = msg.at;
      this.tellReaders(msg);
      return;
    }
    if (msg.type === 'changed' || msg.type === 'counts' || msg.type === 'integrity' || msg.type === 'job') {
      if (msg.type === 'counts') this.counts = msg.counts;
      if (msg.type === 'integrity') this.currentInfo = { ...this.currentInfo, integrity: msg.integrity };
      for (const listener of [...this.listeners]) {
        try {
          listener(msg);
        } catch (err) {
          console.error(`[lifecycle-desk] event listener failed: ${(err as Error).message}`);
        }
      }
    }
  }

  /** Answers the calls in flight `unavailable`: all of them, or only one reader's. */
  private failAll(message: string, reader?: Reader): void {
    for (const [id, pending] of [...this.pending]) {
      if (reader && pending.reader !== reader) continue;
      this.pending.delete(id);
      pending.resolve(unavailable(message));
    }
    for (const [exportId, pending] of [...this.exports]) {
      if (reader && pending.reader !== reader) continue;
      this.exports.delete(exportId);
      pending.resolve({
        type: 'export-chunk',
        exportId,
        chunk: null,
        rows: 0,
        error: { code: 'unavailable', message },
      });
    }
  }
}
