import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApiError, ApiEvent, ApiResult } from '../../shared/api';
import type { StatusCounts } from '../../shared/types';
import type { ExportStream } from '../api/host';
import { parseExport } from '../api/export';
import {
  checkAuth,
  checkHostAndOrigin,
  CODE_REFUSED,
  createSessions,
  createToken,
  fromOwnPage,
  readCookie,
  sessionCookie,
  sessionCookieName,
  type Refusal,
} from './auth';
import { createTickets, streamDownload } from './download';
import { sendJson, sendText, setSecurityHeaders } from './headers';
import { createStaticHandler } from './static';

// The browser mode's HTTP server: transport only. Every API call goes to `api.callRaw` (which
// validates and dispatches in the engine); push events come from `api.onEvent`.
//
//   POST /api/session    JSON body = { code }  →  Set-Cookie: the session (auth.ts), once per code
//   POST /api/<method>   JSON body = the method's arguments  →  the ApiResult as JSON
//   GET  /api/events     Server-Sent Events: `data: <ApiEvent JSON>` per event, `: ping` every 15 s
//   POST /api/export     JSON body = an ExportRequest  →  { ok, value: { url } }, a one-time link
//   GET  /api/download/<ticket>  the export as an attachment (the ticket authorizes it, once, 60 s)
//   GET  /…              the renderer build (static.ts)
//
// The body of every /api answer is an ApiResult, whatever the status. The status says what kind
// of answer it is (API_STATUS below): 200 for a value and for domain refusals (not_found,
// invalid_state: the call was right, the data said no); 4xx for calls that were wrong
// (invalid_argument 400, unknown_method 404, body too large 413, wrong HTTP method 405),
// 401/403 for the guards of auth.ts, 503 when the API is gone, 500 for a bug.

/** What the server needs of the API: ApiHost satisfies it. */
export interface ApiTransportTarget {
  callRaw(method: unknown, args: unknown): Promise<ApiResult<unknown>>;
  onEvent(listener: (event: ApiEvent) => void): () => void;
  /** Sent first on every new event stream, when known. */
  readonly lastCounts?: StatusCounts | undefined;
  /** Exports (ApiHost.openExport); without it /api/export answers unavailable. */
  openExport?(raw: unknown): ApiResult<ExportStream>;
}

export interface ServerOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** The Bearer secret for programs (never printed); default: a new random token. */
  token?: string;
  /** How long a printed code can be traded for a session; default 60 s (tests shorten it). */
  codeTtlMs?: number;
  /** Open sockets at most; the next one is closed at once. Default 128. */
  maxConnections?: number;
  /** Open event streams at most; the next one answers 503. Default 32. */
  maxStreams?: number;
  /** The renderer build; default dist/renderer/. */
  staticDir?: string;
  /** Default 15 s. */
  heartbeatMs?: number;
  /** Default 1 MB. */
  maxBodyBytes?: number;
}

export interface BrowserServer {
  readonly port: number;
  readonly token: string;
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** The first link to open: the origin with a one-time code in the fragment (auth.ts). */
  readonly url: string;
  /** A fresh link with a new one-time code (the first one may be used or expired already). */
  newLink(): string;
  readonly server: http.Server;
  close(): Promise<void>;
}

export const HOST = '127.0.0.1';
export const MAX_BODY_BYTES = 1024 * 1024;
export const MAX_CONNECTIONS = 128;
export const MAX_STREAMS = 32;

const API_STATUS: Readonly<Record<string, number>> = {
  not_found: 200,
  invalid_state: 200,
  read_only: 200,
  invalid_argument: 400,
  unknown_method: 404,
  unauthorized: 401,
  forbidden: 403,
  unavailable: 503,
  internal: 500,
};

export function httpStatusOf(result: ApiResult<unknown>): number {
  return result.ok ? 200 : (API_STATUS[result.error.code] ?? 500);
}

const NO_STORE = { 'Cache-Control': 'no-store' };

function sendError(res: ServerResponse, status: number, error: ApiError, extra: Record<string, string> = {}): void {
  sendJson(res, status, { ok: false, error }, { ...NO_STORE, ...extra });
}

function refuse(res: ServerResponse, refusal: Refusal, api: boolean): void {
  const extra: Record<string, string> = refusal.status === 401 ? { 'WWW-Authenticate': 'Bearer, Cookie' } : {};
  if (api) sendError(res, refusal.status, { code: refusal.code, message: refusal.message }, extra);
  else sendText(res, refusal.status, refusal.message, extra);
}

type Body = { ok: true; value: unknown } | { ok: false; status: 400 | 413; error: ApiError };

/** Reads a JSON body of at most `max` bytes; an empty body is "no arguments". */
function readJsonBody(req: IncomingMessage, max: number): Promise<Body> {
  const tooLarge: Body = {
    ok: false,
    status: 413,
    error: { code: 'invalid_argument', message: `request body larger than ${max} bytes` },
  };
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > max) return Promise.resolve(tooLarge);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (body: Body): void => {
      if (done) return;
      done = true;
      resolve(body);
    };
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > max) {
        chunks.length = 0;
        finish(tooLarge);
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', () =>
      finish({
        ok: false,
        status: 400,
        error: { code: 'invalid_argument', message: 'request body could not be read' },
      }),
    );
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') {
        finish({ ok: true, value: undefined });
        return;
      }
      try {
        finish({ ok: true, value: JSON.parse(text) as unknown });
      } catch (err) {
        finish({
          ok: false,
          status: 400,
          error: { code: 'invalid_argument', message: `request body is not valid JSON: ${(err as Error).message}` },
        });
      }
    });
  });
}

/** Starts the server on 127.0.0.1 (only); resolves once it listens. */
export function startServer(api: ApiTransportTarget, options: ServerOptions = {}): Promise<BrowserServer> {
  const token = options.token ?? createToken();
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const maxBody = options.maxBodyBytes ?? MAX_BODY_BYTES;
  const serveStatic = createStaticHandler(options.staticDir);
  const streams = new Set<ServerResponse>();
  const maxStreams = options.maxStreams ?? MAX_STREAMS;
  const tickets = createTickets();
  const sessions = createSessions(options.codeTtlMs === undefined ? {} : { codeTtlMs: options.codeTtlMs });
  let port = 0;

  async function handleSession(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') {
      sendError(res, 405, { code: 'invalid_argument', message: 'use POST /api/session' }, { Allow: 'POST' });
      return;
    }
    if (!fromOwnPage(req)) {
      return sendError(res, 403, { code: 'forbidden', message: 'requests must come from the app page' });
    }
    const body = await readJsonBody(req, 4096);
    if (!body.ok) return sendError(res, body.status, body.error);
    const code = (body.value as { code?: unknown } | undefined)?.code;
    const secret = typeof code === 'string' && /^[A-Za-z0-9_-]{1,100}$/.test(code) ? sessions.redeem(code) : null;
    if (secret === null) {
      // The same browser opening an old link again is still signed in: nothing to refuse.
      const current = readCookie(req, sessionCookieName(port));
      if (current !== null && sessions.isSession(current))
        return sendJson(res, 200, { ok: true, value: null }, NO_STORE);
      return sendError(res, 401, { code: 'unauthorized', message: CODE_REFUSED });
    }
    sendJson(res, 200, { ok: true, value: null }, { ...NO_STORE, 'Set-Cookie': sessionCookie(port, secret) });
  }

  async function handleExport(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') {
      sendError(res, 405, { code: 'invalid_argument', message: 'use POST /api/export' }, { Allow: 'POST' });
      return;
    }
    const body = await readJsonBody(req, maxBody);
    if (!body.ok) return sendError(res, body.status, body.error);
    const parsed = parseExport(body.value);
    if (!parsed.ok) return sendError(res, 400, { code: 'invalid_argument', message: parsed.message });
    if (!api.openExport) return sendError(res, 503, { code: 'unavailable', message: 'exports are not available here' });
    const ticket = tickets.issue(parsed.request);
    if (!ticket) {
      return sendError(res, 503, { code: 'unavailable', message: 'too many downloads waiting; try again in a minute' });
    }
    sendJson(res, 200, { ok: true, value: { url: `/api/download/${ticket}` } }, NO_STORE);
  }

  async function handleDownload(req: IncomingMessage, res: ServerResponse, ticket: string): Promise<void> {
    if (req.method !== 'GET') {
      sendError(res, 405, { code: 'invalid_argument', message: 'use GET for a download link' }, { Allow: 'GET' });
      return;
    }
    const request = /^[A-Za-z0-9_-]{1,100}$/.test(ticket) ? tickets.take(ticket) : null;
    if (!request || !api.openExport) {
      return sendError(res, 404, { code: 'not_found', message: 'this download link was used already or has expired' });
    }
    await streamDownload(res, api.openExport(request), (status, error) => sendError(res, status, error));
  }

  async function handleCall(req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
    if (req.method !== 'POST') {
      sendError(res, 405, { code: 'invalid_argument', message: `use POST /api/${name}` }, { Allow: 'POST' });
      return;
    }
    const body = await readJsonBody(req, maxBody);
    if (!body.ok) {
      if (body.status === 413) {
        res.setHeader('Connection', 'close');
        req.resume(); // discard the rest; the connection closes after this answer
      }
      sendError(res, body.status, body.error);
      return;
    }
    const result = await api.callRaw(name, body.value);
    sendJson(res, httpStatusOf(result), result, NO_STORE);
  }

  function handleEvents(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'GET') {
      sendError(res, 405, { code: 'invalid_argument', message: 'use GET /api/events' }, { Allow: 'GET' });
      return;
    }
    if (streams.size >= maxStreams) {
      // The streams already open keep working: a new page waits rather than an old one dying.
      return sendError(res, 503, {
        code: 'unavailable',
        message: `too many open event streams (${maxStreams}): close some Lifecycle Desk tabs`,
      });
    }
    req.socket.setTimeout(0);
    req.socket.setNoDelay(true);
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    streams.add(res);
    const write = (chunk: string): void => {
      if (res.writableEnded || res.destroyed) return;
      res.write(chunk);
      // A reader that stopped reading is dropped rather than buffered without bound.
      if (res.writableLength > maxBody) res.destroy();
    };
    const send = (event: ApiEvent): void => write(`data: ${JSON.stringify(event)}\n\n`);
    write(': connected\n\n');
    const counts = api.lastCounts;
    if (counts) send({ type: 'counts', counts });
    const unsubscribe = api.onEvent(send);
    const heartbeat = setInterval(() => write(': ping\n\n'), heartbeatMs);
    const cleanup = (): void => {
      clearInterval(heartbeat);
      unsubscribe();
      streams.delete(res);
    };
    res.on('close', cleanup);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    setSecurityHeaders(res);
    const rawUrl = req.url ?? '';
    const q = rawUrl.indexOf('?');
    const pathname = q === -1 ? rawUrl : rawUrl.slice(0, q);
    const isApi = pathname === '/api' || pathname.startsWith('/api/');
    if (isApi) res.setHeader('Cache-Control', 'no-store');

    const denied = checkHostAndOrigin(req, port);
    if (denied) return refuse(res, denied, isApi);
    if (!pathname.startsWith('/')) return sendText(res, 400, 'bad request');
    if (!isApi) return serveStatic(req, res, pathname);
    // The ticket in the path is this request's authorization (download.ts).
    if (pathname.startsWith('/api/download/')) return handleDownload(req, res, pathname.slice('/api/download/'.length));

    if (pathname === '/api/session') return handleSession(req, res);
    const unauthorized = checkAuth(req, port, token, sessions);
    if (unauthorized) return refuse(res, unauthorized, true);

    let name: string;
    try {
      name = decodeURIComponent(pathname.slice('/api/'.length));
    } catch {
      return sendError(res, 400, { code: 'invalid_argument', message: 'malformed method name in the URL' });
    }
    if (name === 'events') return handleEvents(req, res);
    if (name === 'export') return handleExport(req, res);
    return handleCall(req, res, name);
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      console.error(`[lifecycle-desk] http: ${(err as Error).message ?? String(err)}`);
      if (!res.headersSent) sendError(res, 500, { code: 'internal', message: 'internal server error' });
      else res.destroy();
    });
  });
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;
  // Past the cap Node closes new sockets at once: a flood cannot exhaust the process's files.
  server.maxConnections = options.maxConnections ?? MAX_CONNECTIONS;

  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(
        new Error(
          err.code === 'EADDRINUSE'
            ? `port ${options.port ?? 0} on ${HOST} is already in use; choose another with --port`
            : `cannot listen on ${HOST}:${options.port ?? 0}: ${err.message}`,
        ),
      );
    };
    server.once('error', onError);
    server.listen({ host: HOST, port: options.port ?? 0 }, () => {
      server.off('error', onError);
      port = (server.address() as AddressInfo).port;
      const origin = `http://${HOST}:${port}`;
      let closing: Promise<void> | undefined;
      resolve({
        port,
        token,
        origin,
        url: `${origin}/#code=${sessions.newCode()}`,
        newLink: () => `${origin}/#code=${sessions.newCode()}`,
        server,
        close: () =>
          (closing ??= new Promise<void>((done) => {
            server.close(() => done());
            // Event streams never end on their own: end them and drop their connections.
            for (const res of streams) res.end(() => res.socket?.destroy());
            server.closeIdleConnections();
            // Requests still running get a moment to answer, then their connections are cut.
            setTimeout(() => server.closeAllConnections(), 1_000).unref();
          })),
      });
    });
  });
}
