import { randomBytes } from 'node:crypto';
import type { LifecycleConfig } from '../lifecycle/config';
import { DeliveryError, type DeliverHandler, type ReplayHandler } from '../recovery/handlers';
import { RecoveryWorker } from '../recovery/worker';
import type { DispatchKind, OutboxRow, Turn } from '../../shared/types';
import { pick, seededRandom } from './random';
import { beginAndRecord, turnInput, writeThenSend } from './reply';
import { Sink } from './sink';
import type { LifecycleStore } from '../store/contract';

export interface DemoOptions {
  /** Probability that one send fails (some retryable, some terminal) and that the agent fails. */
  failureRate: number;
  seed: number;
  sinkFile: string;
  /** Probability that an inbound message aborts its session instead of being answered. */
  abortRate?: number;
  /** Probability that an inbound message is delivered twice by the platform. */
  duplicateRate?: number;
  sessions?: number;
  /** Simulated agent/send latency, ms (upper bound). */
  latencyMs?: number;
}

const CHANNELS = ['telegram', 'discord', 'slack', 'whatsapp'] as const;
const RETRYABLE = ['429 Too Many Requests', '502 Bad Gateway', 'ETIMEDOUT', 'socket hang up'];
const TERMINAL = ['403 Forbidden: bot was blocked by the user', '400 Bad Request: chat not found'];
const PROMPTS = [
  'What is on my calendar today?',
  'Summarise <b>this</b> thread please',
  'Translate "bonjour" to English',
  'Remind me to water the plants at 6pm',
  '<img src=x onerror=alert(1)> what does this do?',
];

/** Durations shortened for the demo, so retries and recovery are visible within a minute. */
export const DEMO_CONFIG: Partial<LifecycleConfig> = {
  outboxBackoffMs: [1_000, 3_000, 8_000, 15_000],
  turnBackoffMs: 2_000,
  workerTickMs: 1_000,
  liveLeaseMs: 10_000,
  handlerTimeoutMs: 10_000,
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * A simulated chat gateway over the real core: inbound messages from several channels and
 * sessions, an "agent" that replies with tool, block and final messages through the outbox,
 * a platform (the sink file) that fails sends at a given rate, and the real recovery worker.
 */
export class DemoGateway {
  readonly sink: Sink;
  private readonly random: () => number;
  private readonly failureRate: number;
  private seq = 0;
  /**
   * Message ids are unique across runs on one database, as a platform's are: with a bare
   * counter, a second run's m0, m1… would collide with the first run's dedupe keys and be
   * dropped as duplicates (or re-run an old open turn).
   */
  private readonly runTag = randomBytes(4).toString('hex');

  constructor(
    private readonly store: LifecycleStore,
    private readonly options: DemoOptions,
  ) {
    this.sink = new Sink(options.sinkFile);
    this.random = seededRandom(options.seed);
    this.failureRate = Math.min(Math.max(options.failureRate, 0), 1);
  }

  private chance(p: number): boolean {
    return p > 0 && this.random() < p;
  }

  private async pause(): Promise<void> {
    const max = this.options.latencyMs ?? 0;
    if (max > 0) await sleep(Math.floor(this.random() * max));
  }

  /** The platform: fails at the configured rate, otherwise records the send in the sink. */
  readonly deliver: DeliverHandler = async (row) => {
    await this.pause();
    // Not sent (cancelled since the claim): a failure the core ignores for a row that is done.
    if (!(await this.send(row))) throw new DeliveryError('cancelled before the send', 'terminal');
  };

  /**
   * Returns false when the row may no longer be sent: an abort cancelled it, or another
   * process holds it (and sends it). Re-checked right before the platform call.
   */
  private async send(row: OutboxRow): Promise<boolean> {
    if (this.chance(this.failureRate)) {
      const terminal = this.random() < 0.3;
      throw new DeliveryError(pick(this.random, terminal ? TERMINAL : RETRYABLE), terminal ? 'terminal' : 'retryable');
    }
    return beginAndRecord(this.store, this.sink, row);
  }

  readonly replay: ReplayHandler = async (turn) => {
    await this.process(turn, true);
  };

  createWorker(): RecoveryWorker {
    return new RecoveryWorker(this.store, { deliver: this.deliver, replay: this.replay });
  }

  /** One inbound message from the platform. */
  async inbound(): Promise<void> {
    const n = this.seq++;
    const channel = pick(this.random, CHANNELS);
    const session = `${channel}:chat-${Math.floor(this.random() * (this.options.sessions ?? 12))}`;
    const input = {
      channel,
      accountId: `${channel}-bot`,
      externalId: `m${this.runTag}-${n}`,
      dedupeKey: `${session}:m${this.runTag}-${n}`,
      sessionKey: session,
      payload: { text: pick(this.random, PROMPTS), from: `user-${n % 7}` },
      route: { channel, to: session.split(':')[1]! },
    };
    const { outcome, turn } = await this.store.accept(input);
    if (outcome === 'duplicate') return; // a message we already have: its turn is processed elsewhere
    if (this.chance(this.options.duplicateRate ?? 0)) await this.store.accept(input); // recorded as a duplicate
    if (this.chance(this.options.abortRate ?? 0)) {
      await this.store.abortSession(session, { actor: 'gateway' });
      return;
    }
    await this.process(turn, false);
  }

  /** The agent's turn: tool call, streamed block, final reply, each written ahead then sent. */
  private async process(turn: Turn, resumed: boolean): Promise<void> {
    if (resumed) await this.store.accept({ ...turnInput(turn), resume: true });
    else if (!(await this.store.markRunning(turn.id))) return;
    await this.pause();
    if (this.chance(this.failureRate / 2)) {
      const error = 'agent crashed: model call failed (500)';
      if (resumed) throw new Error(error); // the worker records the failed replay
      await this.store.recordFailure(turn.id, error);
      return;
    }
    const text = (JSON.parse(turn.payload) as { text?: string }).text ?? '';
    for (const [kind, reply] of [
      ['tool', `calling tool for "${text.slice(0, 40)}"`],
      ['block', 'thinking…'],
      ['final', `Here is my answer to: ${text}`],
    ] as [DispatchKind, string][]) {
      if (!(await this.sendReply(turn, kind, reply))) return;
    }
    await this.store.finalize(turn.id);
  }

  private sendReply(turn: Turn, kind: DispatchKind, text: string): Promise<boolean> {
    return writeThenSend(
      this.store,
      turn,
      kind,
      { text },
      {
        pause: () => this.pause(),
        send: (row) => this.send(row),
      },
    );
  }
}
