import type { LifecycleConfig } from '../lifecycle/config';
import type { Core } from '../lifecycle/context';
import { expire } from '../lifecycle/expiry';
import { finalizeTurn } from '../lifecycle/finalize';
import type { Who } from '../lifecycle/history';
import { Lifecycle } from '../lifecycle/lifecycle';
import { ack, beginSend, enqueue, fail, getRow } from '../lifecycle/outbox';
import { acceptTurn, markRunning, recordTurnFailure } from '../lifecycle/turns';
import { isOutboxPending, type DispatchKind, type OutboxRow } from '../../shared/types';
import { DEMO_CONFIG } from './gateway';
import { PAST_MS, POISON_ERROR, arrivals, flakyError, hashUnit, sendOutcome, type Arrival } from './scenario';
import { inboundInput, replyPayload } from './messages';

// The incident's past, written into a demo file at start: the last PAST_MS of a gateway's life,
// simulated on the sync core with a clock that walks through it, in ONE transaction, before the
// app's recovery worker runs its first pass (so it never sees half a past, and a kill leaves none).
// The store contract is async and the API thread starts its worker right after the demo is made:
// the past has to be there, whole, when embeddedDemo returns.

const WORKER: Who = { actor: 'worker' };

/** The past gateway retried slowly (production-like backoff): rows of the long outage expired. */
const PAST_CONFIG: Partial<LifecycleConfig> = {
  ...DEMO_CONFIG,
  outboxBackoffMs: [30_000, 90_000, 300_000, 1_500_000],
  turnBackoffMs: 60_000,
};

/** The past's traffic: quieter than the live feed (it is two hours of it). */
const PAST_GAP_MS = 30_000;
const SWEEP_MS = 60_000;

export interface PastOptions {
  seed: number;
  /** The demo's start (ms since the epoch): the past ends here. */
  startAt: number;
  /** Identity of the process that will run the demo: the past's claims and history are its own. */
  owner: string;
}

export interface PastResult {
  /** Messages numbered below this are the past's: the live feed numbers on from here. */
  nextN: number;
  /** The looping session's turns still held by the gateway (it never answers them). */
  heldTurns: string[];
  turns: number;
}

interface Event {
  at: number;
  seq: number;
  run: () => void;
}

/** True when the file has no turn of the last PAST_MS: a new demo file, or one idle for long. */
export function needsPast(lc: Lifecycle, startAt: number): boolean {
  const newest = lc.db.prepare('SELECT max(accepted_at) AS at FROM message_turns').get() as { at: number | null };
  return newest.at === null || newest.at < startAt - PAST_MS;
}

/** Writes the past into `file` (a SQLite file) unless it already has a recent one. */
export function seedPast(file: string, options: PastOptions): PastResult | null {
  const clock = { t: options.startAt - PAST_MS };
  const lc = Lifecycle.open(file, {
    config: PAST_CONFIG,
    now: () => clock.t,
    owner: options.owner,
    optimizeOnClose: false,
  });
  try {
    if (!needsPast(lc, options.startAt)) return null;
    return lc.core.write(() => simulate(lc.core, clock, options));
  } finally {
    lc.close();
  }
}

function simulate(core: Core, clock: { t: number }, options: PastOptions): PastResult {
  const { seed, startAt } = options;
  const events: Event[] = [];
  let seq = 0;
  const at = (t: number, run: () => void): void => {
    const e = { at: t, seq: seq++, run };
    let i = events.length;
    while (i > 0 && (events[i - 1]!.at > t || (events[i - 1]!.at === t && events[i - 1]!.seq > e.seq))) i--;
    events.splice(i, 0, e);
  };
  const rel = (): number => clock.t - startAt;
  const held: string[] = [];
  const byRow = new Map<string, { n: number; turnId: string }>();
  let turns = 0;

  const settle = (turnId: string): void => {
    finalizeTurn(core, turnId, {}, WORKER);
  };
  const attempt = (row: OutboxRow, n: number, turnId: string, who: Who | null): void => {
    const sent = beginSend(core, row.id);
    if (!sent) return;
    const outcome = sendOutcome(seed, n, row.dispatchKind, sent.attemptCount + 1, row.channel, row.target, rel());
    if (outcome.ok) {
      if (who) ack(core, row.id, who);
      else ack(core, row.id);
    } else {
      const input = { error: outcome.error, errorClass: outcome.errorClass };
      const status = who ? fail(core, row.id, input, who) : fail(core, row.id, input);
      if (status === 'failed_retryable') {
        const due = getRow(core, row.id)!.nextAttemptAt;
        at(due, () => retry(row.id));
        return;
      }
    }
    if (row.dispatchKind === 'final') settle(turnId);
  };
  const retry = (rowId: string): void => {
    const row = getRow(core, rowId);
    const owner = byRow.get(rowId);
    if (!row || !owner || !isOutboxPending(row.status)) return;
    attempt(row, owner.n, owner.turnId, WORKER);
  };
  const answer = (a: Arrival, turnId: string): void => {
    const kinds: DispatchKind[] = a.tool ? ['tool', 'final'] : ['final'];
    for (const kind of kinds) {
      const { row } = enqueue(core, {
        turnId,
        channel: a.channel,
        target: a.chat,
        dispatchKind: kind,
        payload: replyPayload(a, kind),
        idempotencyKey: `${turnId}:${kind}`,
      });
      byRow.set(row.id, { n: a.n, turnId });
      attempt(row, a.n, turnId, null);
    }
  };
  /** The agent's try at a turn (the gateway's first, or a replay): crash, time out, or answer. */
  const run = (a: Arrival, turnId: string, attemptNo: number): void => {
    if (!markRunning(core, turnId)) return;
    const error = a.poison ? POISON_ERROR : a.flaky && attemptNo === 1 ? flakyError(seed, a.n) : null;
    if (error !== null) {
      const status = recordTurnFailure(core, turnId, error);
      if (status === 'failed_retryable') {
        const due = clock.t + core.config.turnBackoffMs;
        at(due, () => run(a, turnId, attemptNo + 1));
      }
      return;
    }
    answer(a, turnId);
  };
  const inbound = (a: Arrival): void => {
    const input = inboundInput(a, `past${seed}`);
    const { outcome, turn } = acceptTurn(core, input);
    if (outcome !== 'accepted') return;
    turns++;
    if (a.duplicate) acceptTurn(core, input);
    if (a.loop !== null) {
      // The agent is stuck in a loop on this session: running, never answered, held live.
      markRunning(core, turn.id);
      held.push(turn.id);
      return;
    }
    const latency = 1_000 + Math.floor(hashUnit(seed, a.n, 5) * 4_000);
    at(clock.t + latency, () => run(a, turn.id, 1));
  };

  let nextN = 0;
  for (const a of arrivals(seed, -PAST_MS, PAST_GAP_MS)) {
    if (a.at >= 0) break;
    nextN = a.n + 1;
    at(startAt + a.at, () => inbound(a));
  }
  for (let t = startAt - PAST_MS + SWEEP_MS; t < startAt; t += SWEEP_MS) {
    at(t, () => {
      expire(core, WORKER);
      for (const [rowId, { turnId }] of byRow) {
        const row = getRow(core, rowId);
        if (row && !isOutboxPending(row.status) && row.dispatchKind === 'final') {
          settle(turnId);
          byRow.delete(rowId);
        }
      }
    });
  }
  while (events.length > 0 && events[0]!.at < startAt) {
    const e = events.shift()!;
    clock.t = e.at;
    e.run();
  }
  clock.t = startAt;
  return { nextN, heldTurns: held, turns };
}
