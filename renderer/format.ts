import { formatDuration } from '../shared/stuck';

/** Two digits: 7 → "07" (clock times). */
export const pad = (n: number): string => String(n).padStart(2, '0');

/** Local date and time, to the second: 2025-01-01 12:03:04. */
export function formatTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—';
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** "3 min ago" / "in 25 s". */
export function formatRelative(ms: number | null | undefined, now = Date.now()): string {
  if (ms === null || ms === undefined) return '—';
  return ms <= now ? `${formatDuration(now - ms)} ago` : `in ${formatDuration(ms - now)}`;
}

/** For times in the past ("3 min ago"); a time a moment in the future (clock skew) is "just now". */
export function formatAgo(ms: number | null | undefined, now = Date.now()): string {
  if (ms === null || ms === undefined) return '—';
  return ms >= now - 1000 ? 'just now' : `${formatDuration(now - ms)} ago`;
}

// toLocaleString builds a formatter on every call: one, made once, is far cheaper per card and row.
const NUMBER = new Intl.NumberFormat('en-US');

export function formatNumber(n: number): string {
  return NUMBER.format(n);
}

/** Pretty-prints JSON text when it parses; otherwise returns it unchanged. Never interprets it. */
export function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

export function humanStatus(status: string): string {
  return status.replace(/_/g, ' ');
}

/** How many characters of an id's end `shortId` keeps. */
export const ID_TAIL = 8;

/**
 * A long id shortened in the middle ("01a230…c79f3e21"): ids made close in time (UUIDv7) share
 * their start, so the end — 32 random bits — is what tells them apart; the start only says the
 * id is one of these. Short ids ("turn-12") are shown whole. The full id goes on hover.
 */
export function shortId(id: string, head = 6, tail = ID_TAIL): string {
  return id.length <= head + tail + 2 ? id : `${id.slice(0, head)}…${id.slice(-tail)}`;
}
