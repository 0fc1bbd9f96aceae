import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { ApiError, ApiResult, ExportRequest } from '../../shared/api';
import type { ExportStream } from '../api/host';

// One-time download links for exports. A browser's download (an <a download> the renderer
// clicks) cannot carry the Authorization header, so POST /api/export — authorized like every
// call — answers a link whose random ticket is the authorization instead: valid for one GET,
// within 60 s. The GET streams the export with backpressure: the next page is read only once the
// socket took the last one.

export const TICKET_TTL_MS = 60_000;
/** Links not yet used, at most: a page that asks for more without using them gets a refusal. */
const MAX_TICKETS = 64;

export interface Tickets {
  /** A new link for a validated request, or null when too many are waiting. */
  issue(request: ExportRequest): string | null;
  /** The request of a ticket, once: a second use or a late one answers null. */
  take(ticket: string): ExportRequest | null;
}

export function createTickets(now: () => number = Date.now): Tickets {
  const waiting = new Map<string, { request: ExportRequest; expiresAt: number }>();
  const sweep = (): void => {
    const t = now();
    for (const [k, v] of waiting) if (v.expiresAt <= t) waiting.delete(k);
  };
  return {
    issue(request) {
      sweep();
      if (waiting.size >= MAX_TICKETS) return null;
      const ticket = randomBytes(24).toString('base64url');
      waiting.set(ticket, { request, expiresAt: now() + TICKET_TTL_MS });
      return ticket;
    },
    take(ticket) {
      const entry = waiting.get(ticket);
      waiting.delete(ticket);
      return entry && entry.expiresAt > now() ? entry.request : null;
    },
  };
}

/**
 * Streams an export as an attachment. The first chunk is read before the headers go out, so an
 * export that cannot start still answers a JSON error; one that fails later is cut off (the
 * browser shows the download as failed rather than a short file as complete).
 */
export async function streamDownload(
  res: ServerResponse,
  opened: ApiResult<ExportStream>,
  sendError: (status: number, error: ApiError) => void,
): Promise<void> {
  if (!opened.ok) return sendError(opened.error.code === 'invalid_argument' ? 400 : 503, opened.error);
  const { chunks, filename, contentType } = opened.value;
  let first: IteratorResult<string, void>;
  try {
    first = await chunks.next();
  } catch (err) {
    const error = (err as { error?: ApiError }).error ?? { code: 'internal', message: (err as Error).message };
    return sendError(error.code === 'invalid_argument' ? 400 : 503, error);
  }
  res.writeHead(200, {
    'Content-Type': contentType,
    'Content-Disposition': `attachment; filename="${filename}"`,
    'Cache-Control': 'no-store',
  });
  let closed = false;
  res.once('close', () => (closed = true));
  try {
    if (!first.done) await write(res, first.value);
    while (!closed) {
      const next = await chunks.next();
      if (next.done) break;
      await write(res, next.value);
    }
  } catch (err) {
    console.error(`[lifecycle-desk] export failed mid-way: ${(err as Error).message}`);
    res.destroy();
    return;
  } finally {
    if (closed) await chunks.return(undefined); // the browser went away: the thread drops its cursor
  }
  res.end();
}

async function write(res: ServerResponse, chunk: string): Promise<void> {
  if (res.destroyed) return;
  if (!res.write(chunk)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
}
