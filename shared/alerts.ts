import type { StatusCounts } from './types';
import type { Liveness } from './views';

// Alerts: desktop notifications when stuck counts cross the thresholds a person set, or when no
// recovery worker is alive. The decision is pure (here); the renderer evaluates it on every
// counts/liveness update and shows the notice (Electron: main's Notification over IPC_NOTIFY;
// browser mode: the Notification API). Pure and zod-free: the renderer bundle imports it.

/** What an alert is about; one notification per condition per interval at most. */
export type AlertCondition = 'stuck-turns' | 'stuck-outbox' | 'dead-letters' | 'no-worker';

export const ALERT_CONDITIONS: readonly AlertCondition[] = ['stuck-turns', 'stuck-outbox', 'dead-letters', 'no-worker'];

/** What the renderer asks a transport to show. Plain text only (never HTML). */
export interface AlertNotice {
  condition: AlertCondition;
  title: string;
  body: string;
}

export const NOTICE_TITLE_MAX = 120;
export const NOTICE_BODY_MAX = 500;

/** The intervals a person can pick: at most one notification per condition in each. */
export const ALERT_INTERVALS_MS = [5 * 60_000, 15 * 60_000, 30 * 60_000, 60 * 60_000, 4 * 60 * 60_000] as const;

/** The largest threshold a person can set (a count beyond any file we know). */
export const THRESHOLD_MAX = 1_000_000_000;

/** What a person sets. A threshold is a count (alert at or above it) or null (off). */
export interface AlertSettings {
  /** Off until the person turns it on: browser mode needs a permission prompt on a click anyway. */
  enabled: boolean;
  stuckTurns: number | null;
  stuckOutbox: number | null;
  /** Failed for good: deadTurns + deadOutbox. */
  deadLetters: number | null;
  noWorker: boolean;
  intervalMs: number;
}

export const DEFAULT_ALERT_SETTINGS: AlertSettings = {
  enabled: false,
  stuckTurns: 10,
  stuckOutbox: 10,
  deadLetters: null,
  noWorker: false,
  intervalMs: 15 * 60_000,
};

function threshold(v: unknown, fallback: number | null): number | null {
  if (v === null) return null;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > THRESHOLD_MAX) return fallback;
  return v;
}

/**
 * Settings from storage (whatever a stored string holds: an older version, a hand edit): each
 * field that is not valid falls back to its default, so a bad field never turns alerts off
 * silently nor loses the others.
 */
export function parseAlertSettings(raw: unknown): AlertSettings {
  const d = DEFAULT_ALERT_SETTINGS;
  if (typeof raw !== 'object' || raw === null) return { ...d };
  const r = raw as Record<string, unknown>;
  return {
    enabled: typeof r.enabled === 'boolean' ? r.enabled : d.enabled,
    stuckTurns: threshold(r.stuckTurns, d.stuckTurns),
    stuckOutbox: threshold(r.stuckOutbox, d.stuckOutbox),
    deadLetters: threshold(r.deadLetters, d.deadLetters),
    noWorker: typeof r.noWorker === 'boolean' ? r.noWorker : d.noWorker,
    intervalMs: (ALERT_INTERVALS_MS as readonly unknown[]).includes(r.intervalMs)
      ? (r.intervalMs as number)
      : d.intervalMs,
  };
}

/** What evaluate() needs to know: the counters and the heartbeats (null: not known yet). */
export interface AlertSnapshot {
  counts: StatusCounts | null;
  liveness: Liveness | null;
  /** Which database, in words (its file name): said in every notice. */
  source: string;
}

/** Per condition: was it at/above its threshold when last seen, and when did it last fire. */
export interface ConditionMemory {
  /** null: not watched yet (first observation, or the condition was off). */
  above: boolean | null;
  firedAt: number | null;
}

export type AlertMemory = Record<AlertCondition, ConditionMemory>;

export function emptyAlertMemory(): AlertMemory {
  const m = {} as AlertMemory;
  for (const c of ALERT_CONDITIONS) m[c] = { above: null, firedAt: null };
  return m;
}

/** What each condition measures now, or null when it is off or not known. */
interface Reading {
  above: boolean;
  title: string;
  body: string;
}

function plural(n: number, one: string, many: string): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

function read(condition: AlertCondition, s: AlertSettings, snap: AlertSnapshot): Reading | null {
  const c = snap.counts;
  const where = `in ${snap.source}`;
  const counted = (value: number, limit: number | null, one: string, many: string, title: string): Reading | null =>
    limit === null
      ? null
      : {
          above: value >= limit,
          title,
          body: `${plural(value, one, many)} (threshold ${limit.toLocaleString('en-US')}) ${where}`,
        };
  switch (condition) {
    case 'stuck-turns':
      return c && counted(c.stuckTurns, s.stuckTurns, 'stuck turn', 'stuck turns', 'Stuck turns');
    case 'stuck-outbox':
      return c && counted(c.stuckOutbox, s.stuckOutbox, 'stuck outbox row', 'stuck outbox rows', 'Stuck outbox rows');
    case 'dead-letters':
      return (
        c &&
        counted(
          c.deadTurns + c.deadOutbox,
          s.deadLetters,
          'item failed for good',
          'items failed for good',
          'Failed for good',
        )
      );
    case 'no-worker': {
      const l = snap.liveness;
      if (!s.noWorker || !l) return null;
      return {
        above: !l.workers.some((w) => w.alive),
        title: 'No recovery worker alive',
        body: `No recovery worker is alive ${where}: replays and retries wait until one runs.`,
      };
    }
  }
}

/**
 * Which notices to show now. A condition fires when it goes from below to at/above its
 * threshold (for no-worker: from a worker alive to none alive), and at most once per interval:
 * one that stays above does not fire again, one that drops and crosses again within the
 * interval does not either. The first observation after watching starts (the page opened, the
 * condition or alerts turned on) counts as coming from below: a person who opens the app on a
 * file already over the threshold is told once. A condition that is off or not known yet keeps
 * no "above" state, so turning it on starts watching afresh; `firedAt` is kept throughout, so
 * toggling never buys an extra notification within the interval.
 */
export function evaluate(
  settings: AlertSettings,
  snapshot: AlertSnapshot,
  memory: AlertMemory,
  now: number,
): { notices: AlertNotice[]; memory: AlertMemory } {
  const notices: AlertNotice[] = [];
  const next = emptyAlertMemory();
  for (const condition of ALERT_CONDITIONS) {
    const before = memory[condition] ?? { above: null, firedAt: null };
    const reading = settings.enabled ? read(condition, settings, snapshot) : null;
    // Off, or not known yet (no counts / no liveness): nothing to say, nothing remembered but firedAt.
    if (!reading) {
      const waiting = settings.enabled && awaitingInput(condition, settings, snapshot);
      next[condition] = { above: waiting ? before.above : null, firedAt: before.firedAt };
      continue;
    }
    const crossed = reading.above && before.above !== true;
    const quiet = before.firedAt !== null && now - before.firedAt < settings.intervalMs && now >= before.firedAt;
    if (crossed && !quiet) {
      notices.push(cleanNotice({ condition, title: reading.title, body: reading.body }));
      next[condition] = { above: true, firedAt: now };
    } else {
      next[condition] = { above: reading.above, firedAt: before.firedAt };
    }
  }
  return { notices, memory: next };
}

/** The condition is on but its input has not arrived: keep what was seen (a reconnect is no crossing). */
function awaitingInput(condition: AlertCondition, s: AlertSettings, snap: AlertSnapshot): boolean {
  if (condition === 'no-worker') return s.noWorker && snap.liveness === null;
  const limit =
    condition === 'stuck-turns' ? s.stuckTurns : condition === 'stuck-outbox' ? s.stuckOutbox : s.deadLetters;
  return limit !== null && snap.counts === null;
}

/** Merges what another page (another tab of the same browser) remembers: the latest firing wins. */
export function mergeFired(memory: AlertMemory, other: Partial<Record<AlertCondition, number | null>>): AlertMemory {
  const next = { ...memory };
  for (const c of ALERT_CONDITIONS) {
    const theirs = other[c];
    const ours = memory[c].firedAt;
    if (typeof theirs === 'number' && Number.isFinite(theirs) && (ours === null || theirs > ours)) {
      next[c] = { ...memory[c], firedAt: theirs };
    }
  }
  return next;
}

// Some notification servers (freedesktop's, on Linux) read the body as markup: the characters
// that start markup and every control character but the newline never reach them.
// eslint-disable-next-line no-control-regex
const NOT_PLAIN = /[<>&\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/;
// eslint-disable-next-line no-control-regex
const NOT_PLAIN_ALL = /[<>&\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/g;

function plainText(s: string, max: number): string {
  const replaced = s.replace(NOT_PLAIN_ALL, (ch) => (ch === '<' ? '‹' : ch === '>' ? '›' : ch === '&' ? '+' : ' '));
  // Cut by code point so a surrogate pair is never split.
  const chars = [...replaced];
  return chars.length <= max ? replaced : `${chars.slice(0, max - 1).join('')}…`;
}

/** A notice made plain and short enough to pass checkNotice, whatever a file name holds. */
export function cleanNotice(n: AlertNotice): AlertNotice {
  return {
    condition: n.condition,
    title: plainText(n.title, NOTICE_TITLE_MAX),
    body: plainText(n.body, NOTICE_BODY_MAX),
  };
}

/** The one test notice the settings send, so a person sees how alerts look (and that they show). */
export function testNotice(source: string): AlertNotice {
  return cleanNotice({
    condition: 'stuck-turns',
    title: 'Lifecycle Desk test notification',
    body: `Alerts for ${source} will look like this.`,
  });
}

/**
 * Validates a notice from an untrusted sender (the renderer, over IPC_NOTIFY): exactly the
 * three fields, a known condition, a non-empty title of at most 120 characters and a body of
 * at most 500, both plain text.
 */
export function checkNotice(raw: unknown): { ok: true; notice: AlertNotice } | { ok: false; message: string } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    return { ok: false, message: 'a notice is an object' };
  const r = raw as Record<string, unknown>;
  const extra = Object.keys(r).filter((k) => k !== 'condition' && k !== 'title' && k !== 'body');
  if (extra.length > 0) return { ok: false, message: `unknown field: ${extra[0]}` };
  if (typeof r.condition !== 'string' || !(ALERT_CONDITIONS as readonly string[]).includes(r.condition)) {
    return { ok: false, message: `condition must be one of ${ALERT_CONDITIONS.join(', ')}` };
  }
  for (const [field, max, min] of [
    ['title', NOTICE_TITLE_MAX, 1],
    ['body', NOTICE_BODY_MAX, 0],
  ] as const) {
    const v = r[field];
    if (typeof v !== 'string') return { ok: false, message: `${field} must be a string` };
    const length = [...v].length;
    if (length < min || length > max) return { ok: false, message: `${field} must be ${min}–${max} characters` };
    if (NOT_PLAIN.test(v))
      return { ok: false, message: `${field} must be plain text (no markup, no control characters)` };
  }
  return {
    ok: true,
    notice: { condition: r.condition as AlertCondition, title: r.title as string, body: r.body as string },
  };
}

/**
 * The desktop app's badge (dock / launcher) and tray tooltip: stuck turns + stuck outbox rows.
 * Null counts (nothing open yet) show no number.
 */
export function stuckBadge(counts: Pick<StatusCounts, 'stuckTurns' | 'stuckOutbox'> | null): {
  count: number;
  tooltip: string;
} {
  if (!counts) return { count: 0, tooltip: 'Lifecycle Desk' };
  const count = Math.max(0, counts.stuckTurns) + Math.max(0, counts.stuckOutbox);
  return { count, tooltip: `Lifecycle Desk — ${count.toLocaleString('en-US')} stuck` };
}
