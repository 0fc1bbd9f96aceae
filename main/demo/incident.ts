import { randomBytes } from 'node:crypto';
import { DeliveryError, type DeliverHandler, type ReplayHandler } from '../recovery/handlers';
import { RecoveryWorker } from '../recovery/worker';
import type { LifecycleStore } from '../store/contract';
import type { DispatchKind, OutboxRow, Turn } from '../../shared/types';
import { inboundInput, messageNumberOf, replyPayload } from './messages';
import {
  FIRST_MESSAGE_ID,
  LOOP_PAUSE_MS,
  POISON_ERROR,
  arrivals,
  flakyError,
  hashUnit,
  loopUser,
  sendOutcome,
  type Arrival,
} from './scenario';
import { beginAndRecord, turnInput, writeThenSend } from './reply';
import { Sink } from './sink';

// The live half of the demo's incident (scenario.ts): inbound messages on the scenario's schedule,
// an agent that answers them (or crashes on the poison one, or hangs on the looping session), a
// platform whose answers the scenario decides, and the handlers the app's recovery worker runs.
// Every write goes through the store contract, every time is the store's clock.

export interface IncidentOptions {
  seed: number;
  sinkFile: string;
  /** The demo's start by the store's clock: the scenario's time 0. */
  startAt: number;
  /** Mean time between two inbound messages (start() may set it). */
  meanGapMs?: number;
  /** The first message's number (the seeded past used the ones below). */
  firstN?: number;
  /** Upper bound of the simulated agent and send latency; 0 in tests (a step runs to its end). */
  latencyMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class IncidentGateway {
  readonly sink: Sink;
  private feed: Generator<Arrival> | undefined;
  private next: Arrival | undefined;
  private meanGapMs: number;
  /** Turn id → the message it answers, for this process's turns (replays read it from the payload). */
  private readonly messages = new Map<string, Arrival>();
  /** Which looping session is on (one per abort so far), its newest turn, and when the next may start. */
  private loop = { k: 0, lastTurn: null as string | null, resumeAt: -Infinity };
  /** Dedupe keys of two runs on one file never collide (a platform's message ids are unique). */
  private readonly runTag = randomBytes(3).toString('hex');

  constructor(
    private readonly store: LifecycleStore,
    private readonly options: IncidentOptions,
  ) {
    this.sink = new Sink(options.sinkFile);
    this.meanGapMs = options.meanGapMs ?? 4_500;
  }

  /** The looping session's turns the seeded past left running: this gateway still holds them. */
  hold(turnIds: readonly string[], lastTurn: string | null): void {
    for (const id of turnIds) this.store.recovery.live.add(id);
    this.loop.lastTurn = lastTurn;
  }

  private async rel(): Promise<number> {
    return (await this.store.now()) - this.options.startAt;
  }

  private async pause(n: number, salt: number): Promise<void> {
    const max = this.options.latencyMs ?? 0;
    if (max > 0) await sleep(Math.floor(hashUnit(this.options.seed, n, salt) * max));
  }

  /** Takes every inbound message due by now, and processes them (all awaited). */
  async step(): Promise<void> {
    const now = await this.rel();
    this.feed ??= arrivals(this.options.seed, 0, this.meanGapMs, this.options.firstN ?? 0);
    this.next ??= this.feed.next().value as Arrival;
    const due: Arrival[] = [];
    while (this.next.at <= now) {
      due.push(this.next);
      this.next = this.feed.next().value as Arrival;
    }
    await Promise.all(due.map((a) => this.inbound(a)));
  }

  /** Runs step() every `tickMs` until the returned function is called. */
  start(tickMs: number, onError: (err: Error) => void, meanGapMs?: number): () => void {
    if (meanGapMs !== undefined && this.feed === undefined) this.meanGapMs = meanGapMs;
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const tick = (): void => {
      if (stopped) return;
      this.step()
        .catch(onError)
        .finally(() => {
          if (!stopped) timer = setTimeout(tick, tickMs);
        });
    };
    timer = setTimeout(tick, 0);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }

  private async inbound(a: Arrival): Promise<void> {
    let arrival = a;
    if (a.loop !== null) {
      const placed = await this.loopPlace();
      if (!placed) return;
      arrival = { ...a, ...placed };
    }
    const input = inboundInput(arrival, this.runTag);
    const { outcome, turn } = await this.store.accept(input);
    if (outcome !== 'accepted') return;
    this.messages.set(turn.id, arrival);
    if (arrival.duplicate) await this.store.accept(input);
    if (arrival.loop !== null) {
      // Hangs in the loop: running, held by this process, never answered (until it is aborted).
      await this.store.markRunning(turn.id);
      this.loop.lastTurn = turn.id;
      return;
    }
    await this.run(turn, arrival, false);
  }

  /** Where the looping session's next message goes; null while no session loops (after an abort). */
  private async loopPlace(): Promise<Pick<Arrival, 'channel' | 'chat' | 'sessionKey'> | null> {
    const now = await this.rel();
    if (now < this.loop.resumeAt) return null;
    if (this.loop.lastTurn !== null) {
      const last = await this.store.getTurn(this.loop.lastTurn);
      if (last?.status === 'aborted') {
        // The person stopped it: this user is done; another one starts looping a while later.
        this.loop = { k: this.loop.k + 1, lastTurn: null, resumeAt: now + LOOP_PAUSE_MS };
        return null;
      }
    }
    return loopUser(this.loop.k);
  }

  /** The agent's turn: the poison message crashes it, a flaky one times out once, the rest are answered. */
  private async run(turn: Turn, a: Arrival, resumed: boolean): Promise<void> {
    if (resumed) await this.store.accept({ ...turnInput(turn), resume: true });
    else if (!(await this.store.markRunning(turn.id))) return;
    await this.pause(a.n, 1);
    const error = isPoison(turn)
      ? POISON_ERROR
      : a.flaky && turn.attemptCount === 0
        ? flakyError(this.options.seed, a.n)
        : null;
    if (error !== null) {
      if (resumed) throw new Error(error); // the worker records the failed replay
      await this.store.recordFailure(turn.id, error);
      return;
    }
    const kinds: DispatchKind[] = a.tool ? ['tool', 'final'] : ['final'];
    for (const kind of kinds) if (!(await this.sendReply(turn, a, kind))) return;
    await this.store.finalize(turn.id);
  }

  private sendReply(turn: Turn, a: Arrival, kind: DispatchKind): Promise<boolean> {
    return writeThenSend(this.store, turn, kind, replyPayload(a, kind), {
      pause: () => this.pause(a.n, 2),
      send: (row) => this.send(row),
    });
  }

  /**
   * The platform: answers as the scenario says for this message, attempt and time; a send it
   * accepts is recorded in the sink. False when the row may no longer be sent (aborted, held).
   */
  private async send(row: OutboxRow): Promise<boolean> {
    const n = messageNumberOf(row.payload) ?? -1;
    const outcome = sendOutcome(
      this.options.seed,
      n,
      row.dispatchKind,
      row.attemptCount + 1,
      row.channel,
      row.target,
      await this.rel(),
    );
    if (!outcome.ok) {
      // A platform that is down takes its time to say so: the row stays stuck while it does.
      if ((this.options.latencyMs ?? 0) > 0 && outcome.waitMs) await sleep(Math.min(outcome.waitMs / 3, 8_000));
      throw new DeliveryError(outcome.error, outcome.errorClass);
    }
    return beginAndRecord(this.store, this.sink, row);
  }

  readonly deliver: DeliverHandler = async (row) => {
    await this.pause(messageNumberOf(row.payload) ?? 0, 3);
    // Not sent (cancelled since the claim): a failure the core ignores for a row that is done.
    if (!(await this.send(row))) throw new DeliveryError('cancelled before the send', 'terminal');
  };

  /** A replay (after a failure, a restart, or "replay as new"): the same agent on the same message. */
  readonly replay: ReplayHandler = async (turn) => {
    await this.run(turn, this.messages.get(turn.id) ?? arrivalOf(turn), true);
  };

  createWorker(): RecoveryWorker {
    return new RecoveryWorker(this.store, { deliver: this.deliver, replay: this.replay });
  }
}

function isPoison(turn: Turn): boolean {
  return turn.payload.includes('"attachment"');
}

/** A turn this process did not accept (a replay as new, one of the past's): its message, from the turn. */
function arrivalOf(turn: Turn): Arrival {
  const n = Number(turn.externalId) - FIRST_MESSAGE_ID;
  const text = String((JSON.parse(turn.payload) as { text?: unknown }).text ?? '');
  return {
    n: Number.isInteger(n) ? n : -1,
    at: 0,
    channel: turn.channel as Arrival['channel'],
    chat: turn.routeTo,
    sessionKey: turn.sessionKey,
    text,
    poison: isPoison(turn),
    loop: null,
    flaky: false,
    duplicate: false,
    tool: false,
  };
}
