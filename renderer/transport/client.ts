import type {
  ApiArgs,
  ApiClient,
  ApiEvent,
  ApiMethod,
  ApiResult,
  ApiResults,
  ExportRequest,
  ExportResult,
} from '../../shared/api';
import { callShared } from './coalesce';
import { readEventStream } from './sse';

// The renderer talks to the API through exactly one ApiClient: the Electron preload's bridge
// when it is there, else HTTP to the browser-mode server (same methods, same result values).

declare global {
  interface Window {
    /** Exposed by the Electron preload (app/): exactly the ApiClient of shared/api. */
    lifecycleDesk?: ApiClient;
  }
}

/** Connection state of the push channel, for the status line in the nav. */
export type LinkState = 'connecting' | 'live' | 'reconnecting' | 'unauthorized';

export interface Transport extends ApiClient {
  readonly kind: 'electron' | 'http';
  onLinkState(listener: (state: LinkState) => void): () => void;
}

const NOT_SIGNED_IN =
  'Not signed in: open the link printed by `lifecycle-desk serve` (press Enter in its terminal for a new one).';

/** Why the page is 'unauthorized': the server's words (a used or expired link, no session). */
let unauthorizedReason = NOT_SIGNED_IN;

/** The one message the page shows while the link state is 'unauthorized'. */
export function unauthorizedMessage(): string {
  return unauthorizedReason;
}

/**
 * Takes `code=…` out of the location hash (the server prints `…/#code=…`) before anything else
 * runs, so the URL shown, bookmarked or copied never has it; the route part of the hash, if
 * any, is kept. The code works once: the transport trades it for a session cookie (HttpOnly,
 * so no secret is ever readable by the page or kept in its storage). An old `token=` is
 * dropped the same way.
 */
export function takeCodeFromLocation(): string | null {
  const hash = window.location.hash;
  const pattern = /(?:^#|[&?])(?:code|token)=([^&]*)/;
  const match = pattern.exec(hash);
  if (!match) return null;
  const rest = hash.replace(new RegExp(pattern.source, 'g'), '').replace(/^[&?]/, '');
  const route = rest.startsWith('/') ? `#${rest}` : rest.startsWith('#/') ? rest : '#/overview';
  window.history.replaceState(null, '', `${window.location.pathname}${window.location.search}${route}`);
  try {
    // Left behind by versions that kept the token here.
    window.sessionStorage.removeItem('lifecycle-desk.token');
  } catch {
    // storage disabled
  }
  return /^token=/.test(match[0].replace(/^[#&?]/, '')) ? null : decodeURIComponent(match[1] ?? '');
}

function httpError(status: number, text: string): ApiResult<never> {
  if (status === 401) {
    return {
      ok: false,
      error: {
        code: 'unauthorized',
        message: unauthorizedReason,
      },
    };
  }
  if (status === 403) return { ok: false, error: { code: 'forbidden', message: text || 'Forbidden' } };
  return {
    ok: false,
    error: { code: status >= 500 ? 'internal' : 'unavailable', message: `HTTP ${status}${text ? `: ${text}` : ''}` },
  };
}

function isApiResult(v: unknown): v is ApiResult<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { ok?: unknown }).ok === 'boolean';
}

class HttpTransport implements Transport {
  readonly kind = 'http' as const;
  private readonly listeners = new Set<(event: ApiEvent) => void>();
  private readonly linkListeners = new Set<(state: LinkState) => void>();
  private stream: AbortController | null = null;
  private link: LinkState = 'connecting';

  /** Settles once the link's code was traded for the session cookie (or there was none). */
  private readonly signedIn: Promise<void>;

  constructor(code: string | null) {
    this.signedIn = code === null ? Promise.resolve() : this.signIn(code);
    // A printed link pasted into this tab is only a hash change: take its code out just the
    // same (this listener is the page's first, so the router never sees it).
    window.addEventListener('hashchange', () => {
      const next = takeCodeFromLocation();
      // A page that was refused starts over signed in; a signed-in one carries on.
      if (next !== null) void this.signIn(next).then(() => this.link === 'unauthorized' && window.location.reload());
    });
  }

  /** POSTs the one-time code once; the answer's Set-Cookie signs this browser in. */
  private async signIn(code: string): Promise<void> {
    try {
      const res = await fetch('/api/session', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ code }),
        cache: 'no-store',
        credentials: 'same-origin',
      });
      if (res.status === 401) {
        const body = (await res.json().catch(() => null)) as { error?: { message?: unknown } } | null;
        const message = body?.error?.message;
        if (typeof message === 'string') unauthorizedReason = message;
      }
    } catch {
      // unreachable: the calls that follow say so
    }
  }

  /**
   * A download is a navigation the page cannot add to: the authorized POST answers a one-time
   * link (valid once, for 60 s), and a hidden <a download> hands it to the browser's downloads,
   * which stream it to disk.
   */
  async exportRows(request: ExportRequest): Promise<ApiResult<ExportResult>> {
    const reply = await this.post('/api/export', request);
    if (!('res' in reply)) return reply;
    const { res, text, body } = reply;
    if (!isApiResult(body)) return httpError(res.status, text.slice(0, 200));
    if (!body.ok) return body;
    const url = (body.value as { url?: unknown } | null)?.url;
    if (typeof url !== 'string' || !url.startsWith('/api/download/'))
      return httpError(res.status, 'malformed response');
    const link = document.createElement('a');
    link.href = url;
    link.download = '';
    link.style.display = 'none';
    document.body.append(link);
    link.click();
    link.remove();
    return { ok: true, value: { rows: null, savedTo: null, cancelled: false } };
  }

  /**
   * One authorized JSON POST: an unreachable server is answered as `unavailable`, a 401 marks
   * the link; the body is parsed leniently so each caller can judge a malformed one itself.
   */
  private async post(
    path: string,
    payload: unknown,
  ): Promise<ApiResult<never> | { res: Response; text: string; body: unknown }> {
    await this.signedIn;
    let res: Response;
    try {
      res = await fetch(path, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(payload),
        cache: 'no-store',
      });
    } catch (err) {
      return {
        ok: false,
        error: { code: 'unavailable', message: `Cannot reach the server: ${(err as Error).message}` },
      };
    }
    const text = await res.text().catch(() => '');
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    if (res.status === 401) this.setLink('unauthorized');
    return { res, text, body };
  }

  async call<M extends ApiMethod>(method: M, args: ApiArgs<M>): Promise<ApiResult<ApiResults[M]>> {
    const reply = await this.post(`/api/${encodeURIComponent(method)}`, args ?? {});
    if (!('res' in reply)) return reply;
    const { res, text, body } = reply;
    if (isApiResult(body) && (res.ok || !body.ok)) return body as ApiResult<ApiResults[M]>;
    return httpError(res.status, res.ok ? 'malformed response' : text.slice(0, 200));
  }

  onEvent(listener: (event: ApiEvent) => void): () => void {
    this.listeners.add(listener);
    if (!this.stream) this.connect();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) {
        this.stream?.abort();
        this.stream = null;
      }
    };
  }

  onLinkState(listener: (state: LinkState) => void): () => void {
    this.linkListeners.add(listener);
    listener(this.link);
    return () => this.linkListeners.delete(listener);
  }

  private setLink(state: LinkState): void {
    if (state === this.link) return;
    this.link = state;
    for (const l of this.linkListeners) l(state);
  }

  /** Reads the SSE stream; reconnects with backoff; every (re)connect is announced as a change. */
  private connect(): void {
    const controller = new AbortController();
    this.stream = controller;
    let delay = 500;
    const loop = async (): Promise<void> => {
      await this.signedIn;
      while (!controller.signal.aborted) {
        try {
          const res = await fetch('/api/events', {
            headers: { Accept: 'text/event-stream' },
            signal: controller.signal,
            cache: 'no-store',
          });
          if (res.status === 401) {
            this.setLink('unauthorized');
            return; // no session: retrying does not make one
          }
          if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
          this.setLink('live');
          delay = 500;
          // Whatever happened while we were away: views refetch.
          this.emit({ type: 'changed', at: Date.now() });
          await readEventStream(res.body, (data) => {
            try {
              this.emit(JSON.parse(data) as ApiEvent);
            } catch {
              // not JSON: ignore (comments and keep-alives never reach here)
            }
          });
        } catch {
          if (controller.signal.aborted) return;
        }
        if (controller.signal.aborted) return;
        this.setLink('reconnecting');
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 10_000);
      }
    };
    void loop();
  }

  private emit(event: ApiEvent): void {
    for (const l of this.listeners) l(event);
  }
}

class BridgeTransport implements Transport {
  readonly kind = 'electron' as const;
  constructor(private readonly bridge: ApiClient) {}
  exportRows(request: ExportRequest): Promise<ApiResult<ExportResult>> {
    return this.bridge.exportRows(request);
  }
  call<M extends ApiMethod>(method: M, args: ApiArgs<M>): Promise<ApiResult<ApiResults[M]>> {
    return this.bridge.call(method, args);
  }
  onEvent(listener: (event: ApiEvent) => void): () => void {
    return this.bridge.onEvent(listener);
  }
  onLinkState(listener: (state: LinkState) => void): () => void {
    listener('live');
    return () => undefined;
  }
}

let transport: Transport | null = null;

/** The one transport of this page (created on first use). */
export function getTransport(): Transport {
  if (!transport) {
    const bridge = window.lifecycleDesk;
    transport = bridge ? new BridgeTransport(bridge) : new HttpTransport(takeCodeFromLocation());
  }
  return transport;
}

/** For tests of the stores: swap in a fake. */
export function setTransport(t: Transport): void {
  transport = t;
}

/** Calls a method; resolves to its value or throws an Error carrying the API's message and code. */
export async function call<M extends ApiMethod>(method: M, args: ApiArgs<M>): Promise<ApiResults[M]> {
  const result = await callShared(getTransport(), method, args);
  if (result.ok) return result.value;
  throw new ApiCallError(result.error.code, result.error.message);
}

export class ApiCallError extends Error {
  override readonly name = 'ApiCallError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
