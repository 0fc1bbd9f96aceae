import type { ErrorClass } from '../../shared/types';
import { seededRandom } from './random';

// The demo's incident: who writes, which channel is down when, what each send answers. Pure and
// deterministic: every answer is a function of the seed, the message, the attempt and the time
// relative to the demo's start, so the seeded past (past.ts) and the live gateway (incident.ts)
// tell one story, and two runs with one seed tell the same one whatever order their sends run in.

export const INCIDENT_CHANNELS = ['telegram', 'discord', 'slack', 'whatsapp'] as const;
export type IncidentChannel = (typeof INCIDENT_CHANNELS)[number];

/** The default --seed: fixed, so every newcomer (and every end-to-end test) sees the same incident. */
export const DEFAULT_DEMO_SEED = 1;
/** The environment variable that carries `serve --demo --seed N` into the API's thread. */
export const DEMO_SEED_ENV = 'LIFECYCLE_DESK_DEMO_SEED';

const MIN = 60_000;
/** How far back the seeded past goes. */
export const PAST_MS = 120 * MIN;
/** WhatsApp's long outage in the past, relative to the start: over by now, its dead rows can be resent. */
export const WHATSAPP_OUTAGE = { from: -75 * MIN, to: -40 * MIN } as const;
/** Discord flaps: down 4 minutes of every 10 since 32 minutes before the start (so down at the start, 2 more minutes). */
export const DISCORD_CYCLE = { period: 10 * MIN, down: 4 * MIN, since: -32 * MIN } as const;
/** One message the agent cannot process, whatever it tries (the poison turn): one every 40 minutes. */
export const POISON_EVERY_MS = 40 * MIN;
/** The session that loops: a message every 90 s, never answered, until someone aborts it. */
export const LOOP_EVERY_MS = 90_000;
/** After an abort, the next looping session starts this much later. */
export const LOOP_PAUSE_MS = 3 * MIN;

/** The first inbound message's external id; the others count up from it, like a platform's. */
export const FIRST_MESSAGE_ID = 9_000;

interface User {
  channel: IncidentChannel;
  chat: string;
  /** The user blocked the bot: every send to them fails for good. */
  blocked?: boolean;
}

const USERS: readonly User[] = [
  { channel: 'telegram', chat: '48213907' },
  { channel: 'telegram', chat: '51920346' },
  { channel: 'telegram', chat: '77310218', blocked: true },
  { channel: 'telegram', chat: '60418822' },
  { channel: 'telegram', chat: '39017745', blocked: true },
  { channel: 'discord', chat: '1172638400' },
  { channel: 'discord', chat: '1180044217' },
  { channel: 'discord', chat: '1093326125' },
  { channel: 'slack', chat: 'C04ANALYTICS' },
  { channel: 'slack', chat: 'D02RBQL7K9A' },
  { channel: 'slack', chat: 'C01SUPPORT' },
  { channel: 'whatsapp', chat: '4915112345678' },
  { channel: 'whatsapp', chat: '4476543219870' },
  { channel: 'whatsapp', chat: '33612345098', blocked: true },
];

/** The users whose sessions loop, one after the other (each until it is aborted). */
const LOOP_USERS: readonly User[] = [
  { channel: 'telegram', chat: '88812034' },
  { channel: 'slack', chat: 'D07LOOPING1' },
  { channel: 'discord', chat: '1201337000' },
];

const PROMPTS = [
  'What is on my calendar today?',
  'Summarise <b>this</b> thread please',
  'Translate "bonjour tout le monde" to English',
  'Remind me to water the plants at 6pm',
  '<img src=x onerror=alert(1)> what does this do?',
  'Book a table for four at the Italian place on Friday',
  'How many invoices are still unpaid this month?',
  'Draft a polite reply declining the vendor meeting',
  'What was the weather in Lisbon yesterday?',
  'Order more printer paper and toner cartridges',
  'Find the slides from the quarterly planning review',
  'Why did my refund not arrive yet? Order 55812',
];
const LOOP_PROMPTS = ['stop', 'STOP', 'please stop sending me these', 'cancel', '/stop', 'why is this still running??'];

export function sessionKeyOf(user: User): string {
  return `agent:main:${user.channel}:${user.chat.startsWith('C') ? 'channel' : 'dm'}:${user.chat}`;
}

/** One inbound message of the incident. */
export interface Arrival {
  /** Its number: its external id is FIRST_MESSAGE_ID + n. */
  n: number;
  /** Relative to the demo's start (negative: the seeded past). */
  at: number;
  channel: IncidentChannel;
  chat: string;
  sessionKey: string;
  text: string;
  /** The agent crashes on it, every time. */
  poison: boolean;
  /** A message of the looping session (index into the loop users). */
  loop: number | null;
  /** The agent's model call times out once (the turn is retried and then answered). */
  flaky: boolean;
  /** The platform delivers it twice. */
  duplicate: boolean;
  /** The agent calls a tool first (a tool message before the final reply). */
  tool: boolean;
}

/** A number in [0, 1) for these integers: the same inputs, the same number, in any order of calls. */
export function hashUnit(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    h = Math.imul(h ^ (p | 0), 0x01000193);
    h = Math.imul(h ^ (h >>> 15), 0x85ebca6b);
    h ^= h >>> 13;
  }
  return seededRandom(h >>> 0)();
}

const KINDS: Record<string, number> = { final: 1, tool: 2, block: 3, direct: 4 };

/**
 * The inbound messages after `from`, in time order, forever: one every `meanGapMs` on average,
 * plus the poison message every POISON_EVERY_MS and the looping session's messages; numbered
 * from `firstN`.
 */
export function* arrivals(seed: number, from: number, meanGapMs: number, firstN = 0): Generator<Arrival> {
  const random = seededRandom(Math.floor(hashUnit(seed, from, meanGapMs) * 2 ** 32));
  let n = firstN;
  let at = from;
  let nextPoison = Math.ceil((from + POISON_EVERY_MS / 2) / POISON_EVERY_MS) * POISON_EVERY_MS - POISON_EVERY_MS / 2;
  let nextLoop = Math.max(from, -30 * MIN);
  for (;;) {
    const gap = Math.round(meanGapMs * (0.3 + 1.4 * random()));
    let user = USERS[Math.floor(random() * USERS.length)]!;
    // Few users block the bot: most of a channel's sends reach people.
    if (user.blocked && random() < 0.8) user = USERS[Math.floor(random() * USERS.length)]!;
    if (user.blocked && random() < 0.75) user = USERS[0]!;
    const text = PROMPTS[Math.floor(random() * PROMPTS.length)]!;
    const flaky = random() < 0.04;
    const duplicate = random() < 0.03;
    const tool = random() < 0.3;
    const next = at + gap;
    // The special messages that fall before the next ordinary one come first.
    while (Math.min(nextPoison, nextLoop) < next) {
      if (nextPoison <= nextLoop) {
        const u = USERS[n % USERS.length]!;
        yield special(n++, nextPoison, u, 'Can you read the attached scan? (scan_2026-11-30.pdf, 48213907 bytes)', {
          poison: true,
        });
        nextPoison += POISON_EVERY_MS;
      } else {
        const u = LOOP_USERS[0]!;
        yield special(n++, nextLoop, u, LOOP_PROMPTS[n % LOOP_PROMPTS.length]!, { loop: 0 });
        nextLoop += LOOP_EVERY_MS;
      }
    }
    at = next;
    yield { n: n++, at, ...place(user), text, poison: false, loop: null, flaky, duplicate, tool };
  }
}

function place(user: User): Pick<Arrival, 'channel' | 'chat' | 'sessionKey'> {
  return { channel: user.channel, chat: user.chat, sessionKey: sessionKeyOf(user) };
}

function special(n: number, at: number, user: User, text: string, what: { poison?: true; loop?: number }): Arrival {
  return {
    n,
    at,
    ...place(user),
    text,
    poison: what.poison === true,
    loop: what.loop ?? null,
    flaky: false,
    duplicate: false,
    tool: false,
  };
}

/** The looping session of loop index `k` (after k aborts). */
export function loopUser(k: number): { channel: IncidentChannel; chat: string; sessionKey: string } {
  return place(LOOP_USERS[k % LOOP_USERS.length]!);
}

export function isDown(channel: string, at: number): boolean {
  if (channel === 'whatsapp') return at >= WHATSAPP_OUTAGE.from && at < WHATSAPP_OUTAGE.to;
  if (channel === 'discord') {
    if (at < DISCORD_CYCLE.since) return false;
    const phase = (((at - DISCORD_CYCLE.since) % DISCORD_CYCLE.period) + DISCORD_CYCLE.period) % DISCORD_CYCLE.period;
    return phase < DISCORD_CYCLE.down;
  }
  return false;
}

/** `waitMs`: how long the platform took to fail (a timeout); a live gateway waits that long, at most a few seconds. */
export type SendOutcome = { ok: true } | { ok: false; error: string; errorClass: ErrorClass; waitMs?: number };

function digits(u: number, from: number, to: number): number {
  return from + Math.floor(u * (to - from));
}

/** What the platform answers to attempt `attempt` (1-based) of message `n`'s `kind` send, at `at`. */
export function sendOutcome(
  seed: number,
  n: number,
  kind: string | null,
  attempt: number,
  channel: string,
  target: string,
  at: number,
): SendOutcome {
  const u = hashUnit(seed, n, KINDS[kind ?? 'direct'] ?? 5, attempt);
  const v = hashUnit(seed, n, attempt, 77);
  const user = USERS.find((x) => x.channel === channel && x.chat === target);
  if (user?.blocked) {
    const error =
      channel === 'whatsapp'
        ? `(#131026) Message undeliverable: recipient ${target} is not on WhatsApp`
        : '403 Forbidden: bot was blocked by the user';
    return { ok: false, error, errorClass: 'terminal' };
  }
  if (isDown(channel, at)) {
    const waitMs = digits(u, 5_000, 30_000);
    const errors: [string, number][] = [
      [`503 Service Unavailable (request ${digits(v, 10_000, 99_999)})`, 200],
      [`ETIMEDOUT: connect to 162.159.${digits(v, 128, 138)}.${digits(u, 2, 250)}:443 after ${waitMs} ms`, waitMs],
      [`502 Bad Gateway: upstream ${digits(v, 10, 99)} reset the connection`, 500],
      [`socket hang up after ${waitMs} ms`, waitMs],
    ];
    const [error, wait] = errors[Math.floor(hashUnit(seed, n, attempt, 3) * errors.length)]!;
    return { ok: false, error, errorClass: 'retryable', waitMs: wait };
  }
  if (channel === 'telegram' && attempt <= 2 && u < (attempt === 1 ? 0.18 : 0.4)) {
    return { ok: false, error: `429 Too Many Requests: retry after ${digits(v, 3, 40)}`, errorClass: 'retryable' };
  }
  if (channel === 'slack' && attempt === 1 && u < 0.04) {
    return { ok: false, error: `400 Bad Request: channel_not_found (${target})`, errorClass: 'terminal' };
  }
  return { ok: true };
}

/** The agent's crash on the poison message: the same every attempt. */
export const POISON_ERROR =
  'agent crashed: RangeError: Array buffer allocation failed (attachment scan_2026-11-30.pdf, 48213907 bytes)';

/** The model call that times out once on a flaky message. */
export function flakyError(seed: number, n: number): string {
  return `upstream model timed out after 60000 ms (request ${digits(hashUnit(seed, n, 99), 100_000, 999_999)})`;
}
