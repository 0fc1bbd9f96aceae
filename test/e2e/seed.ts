// Prepares real databases for the e2e tests with the Lifecycle API, the way a gateway would
// write them: accept → running → outbox write-ahead → ack/fail → finalize. A movable clock
// spreads the history over the past hours (for the charts), then hands over to real time.
import path from 'node:path';
import { Lifecycle, type Turn } from '../../main/lifecycle';
import { tempDir } from '../helpers/temp-db';

export interface SeedDb {
  lc: Lifecycle;
  file: string;
  dir: string;
  /** While set, the core's clock; null = real time. */
  clock: { t: number | null };
  /** Moves the seeding clock forward. */
  advance(ms: number): void;
}

/** A new database file in a fresh temp data folder, with a clock starting `startAgoMs` ago. */
export function createDb(startAgoMs = 0): SeedDb {
  const dir = tempDir('lifecycle-e2e-');
  const file = path.join(dir, 'message-lifecycle.db');
  const clock: { t: number | null } = { t: startAgoMs ? Date.now() - startAgoMs : null };
  const lc = Lifecycle.open(file, { now: () => clock.t ?? Date.now(), owner: 'e2e-gateway' });
  return {
    lc,
    file,
    dir,
    clock,
    advance(ms) {
      if (clock.t !== null) clock.t += ms;
    },
  };
}

export interface TurnSpec {
  session: string;
  channel?: string;
  text?: string;
  /** Replaces the default payload `{ text, from }`. */
  payload?: unknown;
}

let seq = 0;
function nextId(prefix: string): string {
  seq += 1;
  return `${prefix}-${String(seq).padStart(4, '0')}`;
}

function channelOf(spec: TurnSpec): string {
  return spec.channel ?? spec.session.split(':')[0] ?? 'telegram';
}

/** An accepted turn (status `accepted`). */
export function accepted(db: SeedDb, spec: TurnSpec): Turn {
  const channel = channelOf(spec);
  const chat = spec.session.split(':')[1] ?? 'chat-1';
  const external = nextId('m');
  const { turn } = db.lc.accept({
    id: nextId('turn'),
    channel,
    accountId: `${channel}-bot`,
    externalId: external,
    dedupeKey: `${spec.session}:${external}`,
    sessionKey: spec.session,
    payload: spec.payload ?? { text: spec.text ?? 'Hello?', from: 'user-1' },
    route: { channel, to: chat },
  });
  db.advance(300);
  return turn;
}

export function running(db: SeedDb, spec: TurnSpec): Turn {
  const turn = accepted(db, spec);
  db.lc.markRunning(turn.id);
  db.advance(1_200);
  return turn;
}

function send(db: SeedDb, turn: Turn, kind: 'tool' | 'block' | 'final', text: string, live = true): string {
  const { row } = db.lc.enqueue({
    id: nextId(kind === 'final' ? 'send' : kind),
    turnId: turn.id,
    channel: turn.routeChannel,
    accountId: turn.accountId,
    target: turn.routeTo,
    dispatchKind: kind,
    payload: { text },
    idempotencyKey: nextId('idem'),
    live,
  });
  db.advance(400);
  return row.id;
}

/** Delivered with a tool message, a block and a final reply. */
export function delivered(db: SeedDb, spec: TurnSpec, options: { failOnce?: string } = {}): Turn {
  const turn = running(db, spec);
  db.lc.ack(send(db, turn, 'tool', 'Looking that up…'));
  db.lc.ack(send(db, turn, 'block', 'Here is what I found so far.'));
  const final = send(db, turn, 'final', 'Done: here is your answer.');
  if (options.failOnce) {
    db.lc.fail(final, { error: options.failOnce, errorClass: 'retryable' });
    db.advance(5_000);
  }
  db.lc.ack(final);
  db.lc.finalize(turn.id);
  db.advance(800);
  return db.lc.getTurn(turn.id)!;
}

/** The final reply failed terminally (e.g. the bot was blocked). */
export function failedTerminal(db: SeedDb, spec: TurnSpec, error = '403 Forbidden: bot was blocked by the user'): Turn {
  const turn = running(db, spec);
  db.lc.fail(send(db, turn, 'final', 'Sorry, I could not do that.'), { error, errorClass: 'terminal' });
  db.lc.finalize(turn.id);
  db.advance(500);
  return db.lc.getTurn(turn.id)!;
}

/** Processing failed once: `failed_retryable`, attempt 1, due after the backoff. */
export function failedRetryable(db: SeedDb, spec: TurnSpec, error = 'agent crashed: model call failed (500)'): Turn {
  const turn = running(db, spec);
  db.lc.recordFailure(turn.id, error);
  db.advance(500);
  return db.lc.getTurn(turn.id)!;
}

/** The final reply was sent and failed `errors.length` times (retryable): a stuck send. */
export function stuckSend(db: SeedDb, spec: TurnSpec, errors: string[]): { turn: Turn; rowId: string } {
  const turn = running(db, spec);
  const rowId = send(db, turn, 'final', 'Your table for 4 is booked at 8 pm.');
  for (const error of errors) {
    db.lc.fail(rowId, { error, errorClass: 'retryable' });
    db.advance(2_000);
  }
  return { turn: db.lc.getTurn(turn.id)!, rowId };
}

/** A final reply queued for the worker (not held by a live send): `delivery_pending`. */
export function pendingSend(db: SeedDb, spec: TurnSpec): { turn: Turn; rowId: string } {
  const turn = running(db, spec);
  const rowId = send(db, turn, 'final', 'On it!', false);
  return { turn: db.lc.getTurn(turn.id)!, rowId };
}

/** Aborted by the gateway (the user said /stop). */
export function aborted(db: SeedDb, spec: TurnSpec): Turn {
  const turn = running(db, spec);
  db.lc.abortSession(spec.session);
  db.advance(500);
  return db.lc.getTurn(turn.id)!;
}

const TEXTS = [
  "What's the weather in Lisbon tomorrow?",
  'Summarise this thread for me',
  'Book a table for 4 at 8pm',
  "Translate 'good morning' to Japanese",
  'Remind me to call Alex at 5',
  'Draft a reply to the landlord',
  'How many km from Porto to Madrid?',
  'Convert 250 USD to EUR',
  'Find me a recipe with leeks',
  'What did we decide about the offsite?',
];
const CHANNELS = ['telegram', 'slack', 'discord', 'whatsapp'];
const RETRYABLE = ['429 Too Many Requests', 'ETIMEDOUT', '502 Bad Gateway', 'ECONNRESET'];

/** A small deterministic PRNG (mulberry32), so every run seeds the same story. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface MixedStory {
  db: SeedDb;
  stuck: { turn: Turn; rowId: string };
  failed: Turn;
}

/**
 * A realistic mixed database: `turns` finished turns over the last hours on four channels
 * (mostly delivered, some failed or aborted), then a few open ones in the last minutes,
 * among them a final reply that failed twice with "429 Too Many Requests".
 * Open turns have sessions of their own, so no recovery rule (superseded…) touches them.
 */
export function mixedStory(turns = 120, hours = 6): MixedStory {
  const db = createDb(hours * 3_600_000);
  const rnd = prng(42);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const step = ((hours * 3_600_000 - 20 * 60_000) / turns) | 0;
  for (let i = 0; i < turns; i++) {
    const channel = pick(CHANNELS);
    const spec = { session: `${channel}:chat-${1 + Math.floor(rnd() * 12)}`, text: pick(TEXTS) };
    const r = rnd();
    if (r < 0.8) delivered(db, spec, rnd() < 0.15 ? { failOnce: pick(RETRYABLE) } : {});
    else if (r < 0.9) failedTerminal(db, spec);
    else aborted(db, { ...spec, session: `${channel}:stop-${i}` });
    db.advance(Math.floor(step * (0.4 + rnd() * 1.2)));
  }
  // The last minutes: work in flight and trouble.
  db.clock.t = Date.now() - 8 * 60_000;
  accepted(db, { session: 'telegram:ops-1', text: 'Can you check my order #1042?' });
  running(db, { session: 'slack:ops-2', text: 'Generate the weekly report' });
  pendingSend(db, { session: 'discord:ops-3', text: 'Play some jazz' });
  const failed = failedRetryable(db, { session: 'whatsapp:ops-4', text: 'Send the invoice to Maria' });
  const stuck = stuckSend(db, { session: 'telegram:ops-5', text: 'Book a table for 4 at 8pm' }, [
    '429 Too Many Requests',
    '429 Too Many Requests',
  ]);
  db.clock.t = null;
  return { db, stuck, failed };
}
