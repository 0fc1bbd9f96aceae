import { previewAbort } from '../../lifecycle/abort';
import { pacedOperatorPrune } from './paced-prune';
import { Pacer } from './pacer';
import type { SearchIndexState } from '../../lifecycle/search-backfill';
import type { StatsFillState } from '../../lifecycle/stats-backfill';
import { Lifecycle, type LifecycleOptions } from '../../lifecycle/lifecycle';
import { liveness } from '../../lifecycle/liveness';
import { changeStamp } from '../../lifecycle/queries/change-stamp';
import type { LifecycleStore, RecoveryStore, StoreOptions } from '../contract';
import { sqliteRecovery } from './recovery';

/** How often watch() looks at PRAGMA data_version: SQLite has no change notification across processes. */
const WATCH_INTERVAL_MS = 500;
/** Rows one transaction of the search backfill indexes (tens of ms with long payloads; the pacer rests as long). */
const BACKFILL_ROWS = 200;
/** Turns one transaction of the per-channel counting reads (no text to index: cheaper per turn). */
const STATS_FILL_TURNS = 1_000;

/**
 * The store over one SQLite file: the sync core (../../lifecycle) behind the async contract.
 * The gateway's writes go through group commit, so concurrent callers share a commit.
 */

export class SqliteStore implements LifecycleStore {
  readonly backend = 'sqlite' as const;
  readonly recovery: RecoveryStore;

  constructor(readonly lc: Lifecycle) {
    this.recovery = sqliteRecovery(lc.core);
  }

  static open(file: string, options: StoreOptions = {}): SqliteStore {
    const { poolSize: _pool, ...rest } = options;
    return new SqliteStore(Lifecycle.open(file, rest satisfies LifecycleOptions));
  }

  get location(): string {
    return this.lc.db.name;
  }
  get fileVersion(): number {
    return this.lc.fileVersion;
  }
  get readOnly(): boolean {
    return this.lc.core.readOnly;
  }
  get owner(): string {
    return this.lc.core.owner;
  }
  get config(): LifecycleStore['config'] {
    return this.lc.core.config;
  }
  get stuck(): LifecycleStore['stuck'] {
    return this.lc.stuck;
  }
  async now(): Promise<number> {
    return this.lc.core.now();
  }

  private grouped<T>(fn: () => T): Promise<T> {
    return this.lc.commit(fn);
  }

  accept: LifecycleStore['accept'] = (input) => this.grouped(() => this.lc.accept(input));
  markRunning: LifecycleStore['markRunning'] = (id) => this.grouped(() => this.lc.markRunning(id));
  enqueue: LifecycleStore['enqueue'] = (input) => this.grouped(() => this.lc.enqueue(input));
  beginSend: LifecycleStore['beginSend'] = (id, options) => this.grouped(() => this.lc.beginSend(id, options));
  ack: LifecycleStore['ack'] = (id) => this.grouped(() => this.lc.ack(id));
  fail: LifecycleStore['fail'] = (id, input) => this.grouped(() => this.lc.fail(id, input));
  finalize: LifecycleStore['finalize'] = (id, options) => this.grouped(() => this.lc.finalize(id, options));
  recordFailure: LifecycleStore['recordFailure'] = (id, error) => this.grouped(() => this.lc.recordFailure(id, error));
  abortSession: LifecycleStore['abortSession'] = async (key, who) => this.lc.abortSession(key, who);
  expire: LifecycleStore['expire'] = async () => this.lc.expire();
  prune: LifecycleStore['prune'] = async () => this.lc.prune();

  operatorAbort: LifecycleStore['operatorAbort'] = async (key, by, note) => this.lc.operatorAbort(key, by, note);
  operatorReplay: LifecycleStore['operatorReplay'] = async (id, by, note) => this.lc.operatorReplay(id, by, note);
  operatorRetry: LifecycleStore['operatorRetry'] = async (id, by, note) => this.lc.operatorRetry(id, by, note);
  operatorTerminate: LifecycleStore['operatorTerminate'] = async (id, by, note) =>
    this.lc.operatorTerminate(id, by, note);
  operatorPrune: LifecycleStore['operatorPrune'] = (by, note) => pacedOperatorPrune(this.lc.core, by, note);
  operatorResend: LifecycleStore['operatorResend'] = async (id, by, note) => this.lc.operatorResend(id, by, note);
  operatorReplayAsNew: LifecycleStore['operatorReplayAsNew'] = async (id, by, note) =>
    this.lc.operatorReplayAsNew(id, by, note);
  operatorBatch: LifecycleStore['operatorBatch'] = async (action, ids, by, note, jobId) =>
    this.lc.operatorBatch(action, ids, by, note, jobId);
  recordBulkJob: LifecycleStore['recordBulkJob'] = async (job) => this.lc.recordBulkJob(job);
  previewAbort: LifecycleStore['previewAbort'] = async (keys) => previewAbort(this.lc.core, keys);

  countTurns: LifecycleStore['countTurns'] = async (f) => this.lc.countTurns(f);
  countOutbox: LifecycleStore['countOutbox'] = async (f) => this.lc.countOutbox(f);
  errorGroups: LifecycleStore['errorGroups'] = async (query) => this.lc.errorGroups(query);
  channelStats: LifecycleStore['channelStats'] = async (since, until) => this.lc.channelStats(since, until);

  getTurn: LifecycleStore['getTurn'] = async (id) => this.lc.getTurn(id);
  getRow: LifecycleStore['getRow'] = async (id) => this.lc.getRow(id);
  status: LifecycleStore['status'] = async () => this.lc.status();
  listTurns: LifecycleStore['listTurns'] = async (f) => this.lc.listTurns(f);
  listOutbox: LifecycleStore['listOutbox'] = async (f) => this.lc.listOutbox(f);
  turnDetail: LifecycleStore['turnDetail'] = async (id) => this.lc.turnDetail(id);
  history: LifecycleStore['history'] = async (id) => this.lc.history(id);
  auditTrail: LifecycleStore['auditTrail'] = async (f) => this.lc.auditTrail(f);
  series: LifecycleStore['series'] = async (w, b) => this.lc.series(w, b);
  liveness: LifecycleStore['liveness'] = async (last) => liveness(this.lc.core, last ?? null);
  changeStamp: LifecycleStore['changeStamp'] = async () => changeStamp(this.lc.core);

  /** How far the search index's backfill got (undefined: a file without the index). */
  searchIndexState(): SearchIndexState | undefined {
    return this.lc.searchIndexState();
  }

  /**
   * Up to `maxRows` of the search index's backfill, in paced transactions (pacer.ts), so that a
   * gateway sharing the file gets the lock between them. Returns the rows indexed; nothing on a
   * read-only open (the file reports `building` until a writable process finishes it).
   */
  async backfillSearch(maxRows: number): Promise<number> {
    if (this.readOnly || this.lc.searchIndexState()?.state !== 'building') return 0;
    this.pacer ??= new Pacer(this.lc.db, this.config.busyTimeoutMs);
    return this.pacer.batches(maxRows, BACKFILL_ROWS, (limit) => this.lc.backfillSearchStep(limit));
  }
  private pacer: Pacer | undefined;

  /** How far the per-channel counting of the turns there before migration 6 got (undefined: an older file read as it is). */
  statsFillState(): StatsFillState | undefined {
    return this.lc.statsFillState();
  }

  /** Up to `maxTurns` of that counting, paced like the search backfill; nothing on a read-only open. */
  async fillStats(maxTurns: number): Promise<number> {
    if (this.readOnly || this.lc.statsFillState()?.state !== 'building') return 0;
    this.pacer ??= new Pacer(this.lc.db, this.config.busyTimeoutMs);
    return this.pacer.batches(maxTurns, STATS_FILL_TURNS, (limit) => this.lc.statsFillStep(limit));
  }

  watch(listener: () => void): () => void {
    let version = this.dataVersion();
    const timer = setInterval(() => {
      const now = this.dataVersion();
      if (now !== undefined && now !== version) {
        version = now;
        listener();
      }
    }, WATCH_INTERVAL_MS);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** Changes when another connection commits to the file; undefined once closed. */
  private dataVersion(): number | undefined {
    try {
      return this.lc.db.pragma('data_version', { simple: true }) as number;
    } catch {
      return undefined;
    }
  }

  async close(): Promise<void> {
    this.lc.close();
  }
}
