import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

// Who may talk to the browser-mode server. It listens on 127.0.0.1 only, but any local process
// and any web page the user has open can still reach that port, so every request must prove:
// - Host is 127.0.0.1:<port> or localhost:<port> (a DNS-rebinding page has its own name there);
// - Origin, when sent, is this server's own origin (no cross-site page, no CSRF);
// - /api requests carry the session cookie (the browser) or `Authorization: Bearer <token>`
//   (programs, tests). A cookie-authorized request must also show it came from our own page:
//   an Origin that is ours or `Sec-Fetch-Site: same-origin`. SameSite=Strict alone is not
//   enough, because cookies ignore ports: a page on 127.0.0.1:<other port> is "same site".
//
// The browser gets its cookie by trading a one-time code: the printed link carries
// `#code=…`, the page POSTs it to /api/session once, and the code is dead after that or after
// CODE_TTL_MS. A URL therefore never holds a secret that still works once it reaches the
// browser's history.
//
// What a cookie cannot do: browsers send it to every port of 127.0.0.1, so a web server on
// another local port that this browser visits receives it too. The port-scoped name keeps our
// servers apart, not a hostile one out; a session also ends when the server stops.

/** 32 random bytes, URL-safe. */
export function createToken(): string {
  return randomBytes(32).toString('base64url');
}

export const CODE_TTL_MS = 60_000;
/** Links printed and not yet used: an old one is dropped when a new one is asked for. */
export const MAX_CODES = 16;
/** Browsers signed in at once: the oldest session ends when one more signs in. */
export const MAX_SESSIONS = 64;

export const CODE_REFUSED =
  'This link was already used or has expired: press Enter in the terminal running `lifecycle-desk serve` for a new one.';

export interface Refusal {
  status: 401 | 403;
  code: 'unauthorized' | 'forbidden';
  message: string;
}

/** The Host header values this server answers to. */
export function allowedHosts(port: number): string[] {
  return [`127.0.0.1:${port}`, `localhost:${port}`];
}

/**
 * Cookies are shared by every port of a host: the port in the name keeps two servers (or a
 * server restarted on another port) from overwriting each other's session.
 */
export function sessionCookieName(port: number): string {
  return `lifecycle-desk-${port}`;
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

/** One-time codes and the sessions they were traded for. */
export interface Sessions {
  /** A new code, valid once within the TTL; the oldest outstanding one goes past MAX_CODES. */
  newCode(): string;
  /** The code's new session secret, once; null for a wrong, used or expired code. */
  redeem(code: string): string | null;
  isSession(secret: string): boolean;
}

export function createSessions(
  options: { codeTtlMs?: number; maxCodes?: number; maxSessions?: number; now?: () => number } = {},
): Sessions {
  const ttl = options.codeTtlMs ?? CODE_TTL_MS;
  const maxCodes = options.maxCodes ?? MAX_CODES;
  const maxSessions = options.maxSessions ?? MAX_SESSIONS;
  const now = options.now ?? Date.now;
  // Maps keep insertion order: the first key is the oldest.
  const codes = new Map<string, number>();
  const sessions = new Set<string>();
  const dropOldest = (m: Map<string, unknown> | Set<string>, max: number): void => {
    while (m.size > max) m.delete(m.keys().next().value as string);
  };
  return {
    newCode() {
      const t = now();
      for (const [c, expiresAt] of codes) if (expiresAt <= t) codes.delete(c);
      const code = randomBytes(18).toString('base64url');
      codes.set(code, t + ttl);
      dropOldest(codes, maxCodes);
      return code;
    },
    redeem(code) {
      let found: number | undefined;
      for (const [c, expiresAt] of codes) if (safeEqual(c, code)) found = expiresAt;
      if (found === undefined) return null;
      codes.delete(code);
      if (found <= now()) return null;
      const secret = createToken();
      sessions.add(secret);
      dropOldest(sessions, maxSessions);
      return secret;
    },
    isSession(secret) {
      // A Set lookup by value would compare in variable time; the set is small (MAX_SESSIONS).
      let hit = false;
      for (const s of sessions) if (safeEqual(s, secret)) hit = true;
      return hit;
    },
  };
}

/** The value of cookie `name` in the request, if sent. */
export function readCookie(req: IncomingMessage, name: string): string | null {
  const header = req.headers.cookie;
  if (header === undefined) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

export function sessionCookie(port: number, secret: string): string {
  // No Max-Age/Expires: a session cookie, gone when the browser closes.
  return `${sessionCookieName(port)}=${secret}; HttpOnly; SameSite=Strict; Path=/`;
}

/**
 * Authorizes an /api request: a right Bearer token, or a live session cookie sent by our own
 * page (its Origin, or Sec-Fetch-Site: same-origin, which browsers set and pages cannot forge).
 */
export function checkAuth(req: IncomingMessage, port: number, token: string, sessions: Sessions): Refusal | null {
  const header = req.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer ([A-Za-z0-9_-]{1,200})$/.exec(header.trim());
    if (match && safeEqual(match[1]!, token)) return null;
    return { status: 401, code: 'unauthorized', message: 'wrong access token' };
  }
  const secret = readCookie(req, sessionCookieName(port));
  if (secret === null || !/^[A-Za-z0-9_-]{1,200}$/.test(secret) || !sessions.isSession(secret)) {
    return {
      status: 401,
      code: 'unauthorized',
      message:
        secret === null
          ? 'not signed in: open the link `lifecycle-desk serve` printed (Enter in its terminal prints a new one)'
          : 'this session has ended: open a new link from `lifecycle-desk serve` (press Enter in its terminal)',
    };
  }
  return fromOwnPage(req) ? null : { status: 403, code: 'forbidden', message: 'requests must come from the app page' };
}

/** Origin was checked to be ours when present (checkHostAndOrigin); absent, fetch metadata must say so. */
export function fromOwnPage(req: IncomingMessage): boolean {
  return req.headers.origin !== undefined || req.headers['sec-fetch-site'] === 'same-origin';
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
