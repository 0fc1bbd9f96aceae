import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

// Who may talk to the browser-mode server. It listens on 127.0.0.1 only, but any local process
// and any web page the user has open can still reach that port, so every request must prove:
// - Host is 127.0.0.1:<port> or localhost:<port> (a DNS-rebinding page has its own name there);
// - Origin, when sent, is this server's own origin (no cross-site page, no CSRF);
// - /api requests carry `Authorization: Bearer <token>`, the random token printed at start.

/** 32 random bytes, URL-safe (it travels in the printed URL's #fragment). */
export function createToken(): string {
  return randomBytes(32).toString('base64url');
}

export interface Refusal {
  status: 401 | 403;
  code: 'unauthorized' | 'forbidden';
  message: string;
}

/** The Host header values this server answers to. */
export function allowedHosts(port: number): string[] {
  return [`127.0.0.1:${port}`, `localhost:${port}`];
}

/** Refuses a request whose Host or Origin is not this server's own (403); null when fine. */
export function checkHostAndOrigin(req: IncomingMessage, port: number): Refusal | null {
  const host = req.headers.host?.toLowerCase();
  if (host === undefined || !allowedHosts(port).includes(host)) {
    return { status: 403, code: 'forbidden', message: `unexpected Host header; open http://127.0.0.1:${port}/` };
  }
  const origin = req.headers.origin;
  if (origin !== undefined && origin.toLowerCase() !== `http://${host}`) {
    return { status: 403, code: 'forbidden', message: 'cross-origin requests are not allowed' };
  }
  return null;
}

/** Refuses a request without the right `Authorization: Bearer <token>` (401); null when fine. */
export function checkBearer(req: IncomingMessage, token: string): Refusal | null {
  const header = req.headers.authorization;
  const match = header === undefined ? null : /^Bearer ([A-Za-z0-9_-]{1,200})$/.exec(header.trim());
  if (match && safeEqual(match[1]!, token)) return null;
  return {
    status: 401,
    code: 'unauthorized',
    message: header === undefined ? 'missing Authorization: Bearer token' : 'wrong access token',
  };
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
