import { UsageError } from './errors';

// Durations and times on the command line: `30m`, `24h`, `7d` (also `90s`, `2w`); a time is a
// duration ago or an ISO 8601 date.

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 } as const;

/** `24h` → 86400000; null when it is not a duration. */
export function parseDuration(text: string): number | null {
  const m = /^(\d{1,6})([smhdw])$/.exec(text.trim());
  return m ? Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS] : null;
}

export function durationFlag(raw: string | undefined, name: string, command: string): number | undefined {
  if (raw === undefined) return undefined;
  const ms = parseDuration(raw);
  if (ms === null) throw new UsageError(`--${name} must be a duration like 30m, 24h or 7d, not "${raw}"`, command);
  return ms;
}

/** `2h` (two hours before `now`) or an ISO date (`2026-12-01`, `2026-12-01T09:30Z`). */
export function timeFlag(raw: string | undefined, name: string, command: string, now: number): number | undefined {
  if (raw === undefined) return undefined;
  const ago = parseDuration(raw);
  if (ago !== null) return Math.max(0, now - ago);
  const at = /^\d{4}-\d\d-\d\d([T ][\d:.]+(Z|[+-]\d\d:?\d\d)?)?$/.test(raw.trim()) ? Date.parse(raw.trim()) : NaN;
  if (!Number.isFinite(at) || at < 0) {
    throw new UsageError(`--${name} must be a duration ago (30m, 24h, 7d) or an ISO date, not "${raw}"`, command);
  }
  return at;
}
