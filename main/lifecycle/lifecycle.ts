import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type Database from 'better-sqlite3';
import { DEFAULT_STUCK, type StuckThresholds } from '../../shared/stuck';
import type { OutboxRow, StatusCounts, Turn } from '../../shared/types';
import { abortSession, type AbortHooks, type AbortResult } from './abort';
import { resolveConfig, type LifecycleConfig } from './config';
import { createStatementCache, type Core } from './context';
import { openDatabase, type OpenedDatabase } from './database';
import { finalizeTurn, type FinalizeOptions, type FinalizeResult } from './finalize';
import { LifecycleError } from './errors';
import { GroupCommit } from './group-commit';
import { createWriter } from './write';
import {
  backfillSearchNow,
  backfillStep,
  restartSearchBackfill,
  searchIndexState,
  type SearchIndexState,
} from './search-backfill';
import { statsFillNow, statsFillState, statsFillStep, type StatsFillState } from './stats-backfill';
import type { Who } from './history';
import { importLegacyQueue, type ImportProgress, type ImportResult } from './legacy-import';
import { expire, type ExpiryResult } from './expiry';
import { prune, type PruneResult } from './maintenance';
import {
  operatorAbort,
  operatorPrune,
  operatorReplay,
  operatorReplayAsNew,
  operatorResend,
  operatorRetry,
  operatorTerminate,
} from './operator';
import { operatorBatch, recordBulkJob } from './bulk';
import type { BulkOutcome } from '../../shared/api';
import type { BulkAction, BulkJob, ErrorGroup } from '../../shared/triage';
import { ack, beginSend, enqueue, fail, getRow, type EnqueueInput, type EnqueueResult, type FailInput } from './outbox';
import * as q from './queries';
import { acceptTurn, getTurn, markRunning, recordTurnFailure, type AcceptInput, type AcceptResult } from './turns';

export interface LifecycleOptions {
  config?: Partial<LifecycleConfig>;
  /** Injectable clock (ms since the epoch), for tests and simulations. */
  now?: () => number;
  /** Identity of this process in claims and history. */
  owner?: string;
  stuck?: Partial<StuckThresholds>;
  /**
   * How long group commit gathers writes before committing them together. 0 (default): until
   * the current turn of the event loop ends, which already holds every caller that was waiting.
   */
  groupCommitWindowMs?: number;
  /** Nothing can be written at all: every write fails with code `read_only` (see OpenOptions). */
  readOnly?: boolean;
  /**
   * Refresh the planner's statistics (PRAGMA optimize, which writes sqlite_stat1) on close;
   * default true. An observer of another process's file passes false: it writes nothing unasked.
   */
  optimizeOnClose?: boolean;
}

/**
 * The message lifecycle core over one SQLite file (../shared/SPEC.md). Every method is one
 * transaction and returns once it committed. `commit()` batches the writes of concurrent
 * callers into one transaction (group commit) for throughput.
 */
export class Lifecycle {
  readonly core: Core;
  readonly stuck: StuckThresholds;
  private readonly group: GroupCommit;
  private closed = false;
  private readonly optimizeOnClose: boolean;

  /** The file's own schema version: lower than SCHEMA_VERSION only when opened read-only over an older file. */
  readonly fileVersion: number;

  private constructor({ db, fileVersion }: OpenedDatabase, options: LifecycleOptions) {
    const now = options.now ?? Date.now;
    this.fileVersion = fileVersion;
    this.optimizeOnClose = options.optimizeOnClose !== false && options.readOnly !== true;
    this.core = {
      db,
      config: resolveConfig(options.config),
      now,
      owner: options.owner ?? `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`,
      startedAt: now(),
      live: new Set(),
      stmt: createStatementCache(db),
      write: createWriter(db, () => db.name, options.readOnly === true),
      readOnly: options.readOnly === true,
    };
    this.stuck = { ...DEFAULT_STUCK, attentionWindowMs: this.core.config.attentionWindowMs, ...options.stuck };
    this.group = new GroupCommit(db, this.core.write, options.groupCommitWindowMs ?? 0);
  }

  /** Opens or creates the file; refuses (and leaves untouched) files that are not ours. */
  static open(file: string, options: LifecycleOptions = {}): Lifecycle {
    // Validate the whole config first: a bad option must not create, migrate or hold the file.
    const { busyTimeoutMs } = resolveConfig(options.config);
    return new Lifecycle(openDatabase(file, { busyTimeoutMs, readOnly: options.readOnly }), options);
  }

  get db(): Database.Database {
    return this.core.db;
  }

  // --- the gateway's side ---
  accept(input: AcceptInput): AcceptResult {
    return acceptTurn(this.core, input);
  }
  markRunning(turnId: string): boolean {
    return markRunning(this.core, turnId);
  }
  enqueue(input: EnqueueInput): EnqueueResult {
    return enqueue(this.core, input);
  }
  /** `leaseMs`: the longest this send may take (default liveLeaseMs) before another process may send the row. */
  beginSend(rowId: string, options: { leaseMs?: number } = {}): ReturnType<typeof beginSend> {
    const leaseMs = options.leaseMs ?? this.core.config.liveLeaseMs;
    if (!Number.isFinite(leaseMs) || leaseMs < this.core.config.busyTimeoutMs) {
      throw new LifecycleError(
        'invalid_argument',
        `leaseMs must be at least busyTimeoutMs (${this.core.config.busyTimeoutMs})`,
      );
    }
    return beginSend(this.core, rowId, leaseMs);
  }
  ack(rowId: string): boolean {
    return ack(this.core, rowId);
  }
  fail(rowId: string, input: FailInput): ReturnType<typeof fail> {
    return fail(this.core, rowId, input);
  }
  finalize(turnId: string, options: FinalizeOptions = {}): FinalizeResult {
    const result = finalizeTurn(this.core, turnId, options, { actor: 'gateway' });
    // The host's attempt is over: this process no longer holds the turn. If its final reply is
    // still queued, the outbox pass owns it, and the turn pass must be able to decide it later
    // (e.g. once that row expired) instead of skipping it as "being processed" until it is stale.
    this.core.live.delete(turnId);
    return result;
  }
  /** Live processing threw: failed_retryable with backoff (or failed_terminal at max attempts). */
  recordFailure(turnId: string, error: string): ReturnType<typeof recordTurnFailure> {
    return recordTurnFailure(this.core, turnId, error);
  }
  abortSession(sessionKey: string, who: Who = { actor: 'gateway' }, hooks?: AbortHooks): AbortResult {
    return abortSession(this.core, sessionKey, who, hooks);
  }
  expire(): ExpiryResult {
    return expire(this.core);
  }
  prune(): PruneResult {
    return prune(this.core);
  }
  importLegacy(dir: string, onProgress?: (p: ImportProgress) => void): ImportResult {
    return importLegacyQueue(this.core, dir, onProgress);
  }
  /**
   * Runs `fn` (calls to this object) in the next group commit; resolves after it committed. If
   * another caller of the same batch fails, `fn` runs a second time (group-commit.ts): it must
   * do nothing but call the core.
   */
  commit<T>(fn: () => T): Promise<T> {
    if (this.core.readOnly) return Promise.resolve().then(() => this.core.write(fn));
    return this.group.run(fn);
  }

  // --- operator actions (recorded with who did them and the reason they gave) ---
  operatorAbort(sessionKey: string, by: string, note?: string): AbortResult {
    return operatorAbort(this.core, sessionKey, by, note);
  }
  operatorReplay(turnId: string, by: string, note?: string): void {
    operatorReplay(this.core, turnId, by, note);
  }
  operatorRetry(rowId: string, by: string, note?: string): void {
    operatorRetry(this.core, rowId, by, note);
  }
  operatorTerminate(rowId: string, by: string, note?: string): void {
    operatorTerminate(this.core, rowId, by, note);
  }
  operatorPrune(by: string, note?: string): PruneResult {
    return operatorPrune(this.core, by, note);
  }
  /** A dead row sent again as a new one (a repeat finds the first: `created: false`). */
  operatorResend(rowId: string, by: string, note?: string): { row: OutboxRow; created: boolean } {
    return operatorResend(this.core, rowId, by, note);
  }
  /** A dead turn replayed as a new one (a repeat finds the first). */
  operatorReplayAsNew(turnId: string, by: string, note?: string): { turn: Turn; created: boolean } {
    return operatorReplayAsNew(this.core, turnId, by, note);
  }
  /** One batch of a bulk job, in one transaction. */
  operatorBatch(
    action: BulkAction,
    ids: readonly string[],
    by: string,
    note: string | undefined,
    jobId: string,
  ): BulkOutcome[] {
    return operatorBatch(this.core, action, ids, by, note, jobId);
  }
  recordBulkJob(job: BulkJob): void {
    recordBulkJob(this.core, job);
  }

  // --- reads ---
  getTurn(id: string): ReturnType<typeof getTurn> {
    return getTurn(this.core, id);
  }
  getRow(id: string): ReturnType<typeof getRow> {
    return getRow(this.core, id);
  }
  status(): StatusCounts {
    return q.statusCounts(this.core, this.stuck);
  }
  listTurns(filter: q.TurnFilter = {}): q.Page<q.TurnListItem> {
    return q.listTurns(this.core, filter, this.stuck);
  }
  listOutbox(filter: q.OutboxFilter = {}): q.Page<q.OutboxListItem> {
    return q.listOutbox(this.core, filter, this.stuck);
  }
  turnDetail(id: string): q.TurnDetail {
    return q.turnDetail(this.core, id, this.stuck);
  }
  history(subjectId: string): ReturnType<typeof q.history> {
    return q.history(this.core, subjectId);
  }
  auditTrail(filter?: q.AuditFilter): ReturnType<typeof q.auditTrail> {
    return q.auditTrail(this.core, filter);
  }
  series(windowMs: number, buckets: number): q.SeriesPoint[] {
    return q.series(this.core, windowMs, buckets);
  }
  /** Exact counts of a list filter (index-backed). */
  countTurns(filter: q.TurnFilter): number {
    return q.countTurns(this.core, filter, this.stuck);
  }
  countOutbox(filter: q.OutboxFilter): number {
    return q.countOutbox(this.core, filter, this.stuck);
  }
  /** Failures grouped by normalized error, channel and kind; biggest first. */
  errorGroups(query?: q.ErrorGroupQuery): ErrorGroup[] {
    return q.errorGroups(this.core, query);
  }

  /** Per channel over [since, until): counts, failure rate, stuck now, delivery latency percentiles. */
  channelStats(since: number, until: number): q.ChannelStats {
    return q.channelStats(this.core, since, until, this.stuck);
  }
  /** How far the per-channel counting of the turns there before migration 6 got (stats-backfill.ts). */
  statsFillState(): StatsFillState | undefined {
    return statsFillState(this.core);
  }
  /** One transaction of that counting over at most `limit` turns; fewer handled: it is done. */
  statsFillStep(limit: number): number {
    return statsFillStep(this.core, limit);
  }
  /** All of it at once, unpaced (a file nobody else is using). */
  statsFillNow(): number {
    return statsFillNow(this.core);
  }

  /** How far the search index's backfill of the rows there before migration 5 got. */
  searchIndexState(): SearchIndexState | undefined {
    return searchIndexState(this.core);
  }
  /** One transaction of the backfill over at most `limit` rows; fewer handled: it is done. */
  backfillSearchStep(limit: number): number {
    return backfillStep(this.core, limit);
  }
  /** Empties the search indexes and notes every row for the backfill (a file loaded with the triggers dropped). */
  restartSearchBackfill(): void {
    restartSearchBackfill(this.core);
  }
  /** The whole backfill at once, unpaced (a file nobody else is using, e.g. the bench's generator). */
  backfillSearchNow(): number {
    return backfillSearchNow(this.core);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.group.flush();
    if (this.optimizeOnClose) {
      try {
        // Keeps the planner's statistics fresh for the index choices; never waits for a busy file.
        this.core.db.pragma('busy_timeout = 0');
        this.core.db.pragma('optimize');
      } catch {
        // best effort: a busy file closes without it
      }
    }
    this.core.db.close();
  }
}
