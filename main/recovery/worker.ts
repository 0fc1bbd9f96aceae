import { EventEmitter } from 'node:events';
import type { LifecycleStore } from '../store/contract';
import type { DeliverHandler, ReplayHandler } from './handlers';
import type { Beat } from './heartbeat';
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
  private startedAt: number | undefined;
  /** Heartbeats in the order they were asked for (each waits for the one before). */
  private beats: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: LifecycleStore,
    private readonly options: WorkerOptions = {},
  ) {
    super();
  }

  private get tickMs(): number {
    return this.options.tickMs ?? this.store.config.workerTickMs;
  }

  start(): void {
    if (this.running || this.stopController.signal.aborted) return;
    this.running = true;
    this.beat((now) => ({ lastPassAt: null, nextPassAt: now }));
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
    await this.beats;
    if (this.beating) await this.store.recovery.recordStopped().catch((err: unknown) => this.reportError(err));
  }

  /**
   * Says in the database that this worker is alive and when it passes next (by the store's
   * clock); a failure is reported, never fatal.
   */
  private beat(make: (now: number) => Omit<Beat, 'handlers'>): Promise<void> {
    if (this.options.heartbeat === false || this.store.readOnly) return this.beats;
    const handlers = [
      ...(this.options.deliver ? ['deliver' as const] : []),
      ...(this.options.replay ? ['replay' as const] : []),
    ];
    this.beats = this.beats.then(async () => {
      try {
        const now = await this.store.now();
        this.startedAt ??= now;
        await this.store.recovery.recordBeat(this.startedAt, { ...make(now), handlers });
        this.beating = true;
      } catch (err) {
        this.reportError(err);
      }
    });
    return this.beats;
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
      maxTurnsPerPass: this.options.maxTurnsPerPass ?? this.store.config.maxTurnsPerPass,
      concurrency: this.options.concurrency ?? 4,
      stop: this.stopController.signal,
      config: this.store.config,
      onError: (error: Error) => this.reportError(error),
    };
    const recovery = this.store.recovery;
    await outboxPass(recovery, options, report);
    await recovery.pause?.();
    if (!this.stopController.signal.aborted) await turnPass(recovery, options, report);
    await recovery.pause?.();
    if (!this.stopController.signal.aborted) await maintenancePass(recovery, report);
    await this.beat((now) => ({ lastPassAt: now, nextPassAt: this.running ? now + this.tickMs : null }));
    return report;
  }
}
