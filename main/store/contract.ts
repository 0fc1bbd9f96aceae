import type { StuckThresholds } from '../../shared/stuck';
import type { OutboxRow, OutboxStatus, StatusCounts, Turn, TurnStatus } from '../../shared/types';
import type { Liveness } from '../../shared/views';
import type { AbortResult } from '../lifecycle/abort';
import type { HistoryEntry } from '../../shared/types';
import type { LifecycleConfig } from '../lifecycle/config';
import type { ExpiryResult } from '../lifecycle/expiry';
import type { FinalizeOptions, FinalizeResult } from '../lifecycle/finalize';
import type { Who } from '../lifecycle/history';
import type { PruneResult } from '../lifecycle/maintenance';
import type { EnqueueInput, EnqueueResult, FailInput } from '../lifecycle/outbox';
import type * as q from '../lifecycle/queries';
import type { AcceptInput, AcceptResult } from '../lifecycle/turns';
import type { Beat } from '../recovery/heartbeat';
import type { BulkOutcome } from '../../shared/api';
import type { BulkAction, BulkJob, ErrorGroup } from '../../shared/triage';

// The one contract of the message lifecycle (../shared/SPEC.md) that the recovery worker, the
// API, the CLI and gateways use, whatever holds the data: a SQLite file (sqlite.ts, the embedded
// default) or a PostgreSQL database shared by many nodes (postgres/). Every method is one
// transaction and resolves once it committed.

export type Backend = 'sqlite' | 'postgres';

export interface StoreOptions {
  config?: Partial<LifecycleConfig>;
  /**
   * Injectable clock (ms since the epoch), for tests and simulations. Without it SQLite uses this
   * process's clock and PostgreSQL the database server's, so that nodes whose clocks differ agree
   * on leases and due times.
   */
  now?: () => number;
  /** Identity of this process in claims and history. */
  owner?: string;
  stuck?: Partial<StuckThresholds>;
  /** Nothing can be written at all: every write fails with code `read_only`. */
  readOnly?: boolean;
  /** SQLite only: refresh the planner's statistics on close (default true; observers pass false). */
  optimizeOnClose?: boolean;
  /** SQLite only: see LifecycleOptions.groupCommitWindowMs. */
  groupCommitWindowMs?: number;
  /** PostgreSQL only: connections in the pool (default 10). */
  poolSize?: number;
}

/** What the recovery worker asks of a store; the rules of each step are the SPEC's. */
export interface RecoveryStore {
  /** How long a worker's claim holds: the handler's timeout plus the time to record its outcome. */
  readonly workerLeaseMs: number;
  /** Turns this process is processing right now (the SPEC's in-process registry). */
  readonly live: Set<string>;
  /** Terminalizes pending tool/block rows no live send holds (`non_final_pruned`); returns how many. */
  pruneNonFinal(limit: number): Promise<number>;
  /** Due final rows no live send holds, claimed for this worker in one transaction, oldest due first. */
  claimDueRows(limit: number): Promise<OutboxRow[]>;
  /** beginSend with the worker's lease; null when the row is no longer ours to send. */
  beginSend(rowId: string): Promise<OutboxRow | null>;
  ack(rowId: string): Promise<boolean>;
  fail(rowId: string, input: FailInput): Promise<OutboxStatus | null>;
  finalize(turnId: string, options: FinalizeOptions, actor: 'worker' | 'replay'): Promise<FinalizeResult>;
  /** Due turns whose final rows already decide them (some done, none pending). */
  decidedTurns(limit: number): Promise<string[]>;
  /** Due turns with no final row that a later, answered turn of the same session superseded. */
  supersededTurns(limit: number): Promise<{ id: string; supersededBy: string }[]>;
  /** Due turns with no final row at all: what the replay handler must run again. */
  replayableTurns(limit: number): Promise<Turn[]>;
  /** Moves a turn in one of `from` to failed_terminal, unless another process holds its claim. */
  endTurn(turnId: string, from: readonly TurnStatus[], reason: string): Promise<boolean>;
  /** Claim = attempt: running, attempt_count + 1 and our lease, if it is still due and free. */
  claimTurn(turn: Turn): Promise<boolean>;
  /** A replay attempt failed (counted: the claim already raised attempt_count). */
  recordReplayFailure(turnId: string, error: string): Promise<void>;
  expire(): Promise<ExpiryResult>;
  prune(): Promise<PruneResult>;
  /**
   * Called by the worker between the steps of a pass: where a backend's steps run on this
   * thread and take a lock other processes wait for (SQLite), it lets them and this thread's
   * other work in. Optional: a backend whose steps wait on the network already yields.
   */
  pause?(): Promise<void>;
  recordBeat(startedAt: number, beat: Beat): Promise<void>;
  recordStopped(): Promise<void>;
}

export interface LifecycleStore {
  readonly backend: Backend;
  /** Where the data is, safe to show: a file path, or a URL without its password. */
  readonly location: string;
  /** The data's schema version: lower than SCHEMA_VERSION only when opened read-only over older data. */
  readonly fileVersion: number;
  readonly readOnly: boolean;
  readonly owner: string;
  readonly config: LifecycleConfig;
  readonly stuck: StuckThresholds;
  readonly recovery: RecoveryStore;
  /** Now, by the store's clock (see StoreOptions.now). */
  now(): Promise<number>;

  // --- the gateway's side ---
  accept(input: AcceptInput): Promise<AcceptResult>;
  markRunning(turnId: string): Promise<boolean>;
  enqueue(input: EnqueueInput): Promise<EnqueueResult>;
  /** `leaseMs`: the longest this send may take (default liveLeaseMs) before another process may send the row. */
  beginSend(rowId: string, options?: { leaseMs?: number }): Promise<OutboxRow | null>;
  ack(rowId: string): Promise<boolean>;
  fail(rowId: string, input: FailInput): Promise<OutboxStatus | null>;
  finalize(turnId: string, options?: FinalizeOptions): Promise<FinalizeResult>;
  /** Live processing threw: failed_retryable with backoff (or failed_terminal at max attempts). */
  recordFailure(turnId: string, error: string): Promise<TurnStatus | null>;
  abortSession(sessionKey: string, who?: Who): Promise<AbortResult>;
  expire(): Promise<ExpiryResult>;
  prune(): Promise<PruneResult>;

  // --- operator actions (recorded with who did them, and the reason they gave: `note`) ---
  operatorAbort(sessionKey: string, by: string, note?: string): Promise<AbortResult>;
  operatorReplay(turnId: string, by: string, note?: string): Promise<void>;
  operatorRetry(rowId: string, by: string, note?: string): Promise<void>;
  operatorTerminate(rowId: string, by: string, note?: string): Promise<void>;
  operatorPrune(by: string, note?: string): Promise<PruneResult>;
  /**
   * Dead letters (SPEC "Operator actions"): a new row with the original's payload and destination,
   * `resend_of` = the original, idempotency key `resendKey(original)`. A repeat creates nothing and
   * answers the row the first one created (`created: false`). Refused unless the row is
   * failed_terminal/expired, or when its turn was aborted.
   */
  operatorResend(rowId: string, by: string, note?: string): Promise<{ row: OutboxRow; created: boolean }>;
  /** A new resumed turn from a failed_terminal/aborted one (`replay_of`, dedupe key `replayKey`); a repeat finds the first. */
  operatorReplayAsNew(turnId: string, by: string, note?: string): Promise<{ turn: Turn; created: boolean }>;
  /**
   * One batch of a bulk job: in ONE transaction, the action on each id, each re-checked (a refusal
   * is that id's outcome, not an error). Per-row timeline entries carry `jobId`.
   */
  operatorBatch(
    action: BulkAction,
    ids: readonly string[],
    by: string,
    note: string | undefined,
    jobId: string,
  ): Promise<BulkOutcome[]>;
  /** The one audit entry of a bulk job: what, by filter, how many done and refused. */
  recordBulkJob(job: BulkJob): Promise<void>;
  /** What an abort of these sessions would change now: two counts. */
  previewAbort(sessionKeys: readonly string[]): Promise<{ turns: number; outbox: number }>;

  // --- reads ---
  getTurn(id: string): Promise<Turn | undefined>;
  getRow(id: string): Promise<OutboxRow | undefined>;
  status(): Promise<StatusCounts>;
  listTurns(filter?: q.TurnFilter): Promise<q.Page<q.TurnListItem>>;
  listOutbox(filter?: q.OutboxFilter): Promise<q.Page<q.OutboxListItem>>;
  turnDetail(id: string): Promise<q.TurnDetail>;
  history(subjectId: string): Promise<HistoryEntry[]>;
  /** Operator actions newest first (bulk jobs' per-row entries left out), filtered, by page. */
  auditTrail(filter?: q.AuditFilter): Promise<q.Page<HistoryEntry>>;
  /** Exact counts of a list filter (bulk preview, export headers); index-backed. */
  countTurns(filter: q.TurnFilter): Promise<number>;
  countOutbox(filter: q.OutboxFilter): Promise<number>;
  /** Failures grouped by normalized error signature, channel and kind; biggest first. */
  errorGroups(query?: q.ErrorGroupQuery): Promise<ErrorGroup[]>;
  /** Per channel over [since, until): counts, failure rate, stuck now, delivery latency percentiles. */
  channelStats(since: number, until: number): Promise<q.ChannelStats>;
  series(windowMs: number, buckets: number): Promise<q.SeriesPoint[]>;
  /** Is anyone recovering this data? `lastExternalWriteAt`: when the caller last saw another writer commit. */
  liveness(lastExternalWriteAt?: number | null): Promise<Liveness>;

  /**
   * A short value that changes whenever turns, outbox rows or the timeline change, whoever wrote
   * them, and not for heartbeats or index upkeep: a watch() call alone does not say that
   * anything a view shows moved. Index reads only (see main/lifecycle/queries/change-stamp.ts).
   */
  changeStamp(): Promise<string>;

  /**
   * Calls `listener` soon after another connection committed a change (SQLite: PRAGMA
   * data_version, polled; PostgreSQL: LISTEN/NOTIFY, pushed). Returns the unsubscribe.
   */
  watch(listener: () => void): () => void;
  close(): Promise<void>;
}
