import { EventEmitter } from 'node:events';
import type { Core } from '../lifecycle/context';
import type { DeliverHandler, ReplayHandler } from './handlers';
import { recordBeat, recordStopped, type Beat } from './heartbeat';
import { emptyReport, maintenancePass, outboxPass, turnPass, type PassReport } from './passes';

export interface WorkerOptions {
  /** Sends a row; without it the outbox pass only terminalizes non-final rows. */
  deliver?: DeliverHandler | undefined;
  /** Replays a turn; without it turns are only finalized, superseded, expired. */
  replay?: ReplayHandler | undefined;
  tickMs?: number | undefined;
  maxTurnsPerPass?: number | undefined;
  /** Handlers in flight at once within a pass. */
  concurrency?: number | undefined;
  /** Record a heartbeat in the file after every pass (default true; see heartbeat.ts). */
  heartbeat?: boolean | undefined;
}

export interface WorkerEvents {
  pass: [PassReport];
  error: [Error];
}

/**
 * The recovery worker: a pass at start and then every tick, in the process that has the
 * deliver and replay handlers. stop() lets an in-flight pass finish its database work,
 * abandons handlers still running (their claims expire), and leaves no timer behind.
 */
export class RecoveryWorker extends EventEmitter<WorkerEvents> {
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<PassReport> | undefined;
  private readonly stopController = new AbortController();
  private running = false;
  private beating = false;
  private readonly startedAt: number;

  constructor(
    private readonly core: Core,
    private readonly options: WorkerOptions = {},
  ) {
    super();
    this.startedAt = core.now();
  }

  private get tickMs(): number {
    return this.options.tickMs ?? this.core.config.workerTickMs;
  }

  start(): void {
    if (this.running || this.stopController.signal.aborted) return;
    this.running = true;
    this.beat({ lastPassAt: null, nextPassAt: this.core.now() });
    this.schedule(0);
  }

  /** One full pass now (also usable without start(), e.g. `recover --once`). */
  runOnce(): Promise<PassReport> {
    this.current ??= this.pass().finally(() => {
      this.current = undefined;
    });
    return this.current;
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.stopController.abort();
    await this.current?.catch(() => undefined);
    if (this.beating) this.guard(() => recordStopped(this.core));
  }

  /** Says in the file that this worker is alive and when it passes next; a failure is reported, never fatal. */
  private beat(beat: Omit<Beat, 'handlers'>): void {
    if (this.options.heartbeat === false || this.core.readOnly) return;
    const handlers = [
      ...(this.options.deliver ? ['deliver' as const] : []),
      ...(this.options.replay ? ['replay' as const] : []),
    ];
    this.guard(() => {
      recordBeat(this.core, this.startedAt, { ...beat, handlers });
      this.beating = true;
    });
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.reportError(err);
    }
  }

  private schedule(delay: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.runOnce()
        .then((report) => this.emit('pass', report))
        .catch((err: unknown) => this.reportError(err))
        .finally(() => {
          if (this.running) this.schedule(this.tickMs);
        });
    }, delay);
  }

  private reportError(err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    // Never swallowed: with no listener, EventEmitter throws 'error'; print it instead of crashing the host.
    if (this.listenerCount('error') > 0) this.emit('error', error);
    else console.error('[lifecycle] recovery pass failed:', error);
  }

  private async pass(): Promise<PassReport> {
    const report = emptyReport();
    if (this.stopController.signal.aborted) return report;
    const options = {
      deliver: this.options.deliver,
      replay: this.options.replay,
      maxTurnsPerPass: this.options.maxTurnsPerPass ?? this.core.config.maxTurnsPerPass,
      concurrency: this.options.concurrency ?? 4,
      stop: this.stopController.signal,
      onError: (error: Error) => this.reportError(error),
    };
    await outboxPass(this.core, options, report);
    if (!this.stopController.signal.aborted) await turnPass(this.core, options, report);
    if (!this.stopController.signal.aborted) maintenancePass(this.core, report);
    const now = this.core.now();
    this.beat({ lastPassAt: now, nextPassAt: this.running ? now + this.tickMs : null });
    return report;
  }
}
