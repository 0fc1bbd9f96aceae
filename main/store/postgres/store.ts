import { randomBytes } from 'node:crypto';
import os from 'node:os';
import pg from 'pg';
import { DEFAULT_STUCK, type StuckThresholds } from '../../../shared/stuck';
import { resolveConfig, type LifecycleConfig } from '../../lifecycle/config';
import { LifecycleError } from '../../lifecycle/errors';
import type { LifecycleStore, RecoveryStore, StoreOptions } from '../contract';
import { redactUrl } from '../location';
import { abortSession } from './abort';
import { PG_TYPES, SQL_NOW, measured, newServerClock, sessionOptions, type PgCore } from './context';
import { expire } from './expiry';
import { finalizeTurn } from './finalize';
import { liveness } from './liveness';
import { changeStamp } from './change-stamp';
import { prune } from './maintenance';
import { operatorAbort, operatorPrune, operatorReplay, operatorRetry, operatorTerminate } from './operator';
import { ack, beginSend, enqueue, fail, getRow } from './outbox';
import { previewAbort } from './queries/abort-preview';
import { statusCounts } from './queries/counts';
import { auditTrail, history, turnDetail } from './queries/detail';
import { countOutbox, countTurns, listOutbox, listTurns } from './queries/lists';
import { errorGroups } from './queries/groups';
import { operatorBatch, recordBulkJob } from './batch';
import { operatorReplayAsNew, operatorResend } from './dead-letters';
import { series } from './queries/series';
import { channelStats } from './queries/channel-stats';
import { pgRecovery } from './recovery';
import { migrate, olderSchemaViews } from './schema';
import { acceptTurn, getTurn, markRunning, recordTurnFailure } from './turns';
import { watchChanges } from './watch';

/** A connection error as the core's `cannot_open`, with the URL's password never in the message. */
function cannotOpen(location: string, err: unknown): LifecycleError {
  const message = String((err as Error)?.message ?? err);
  return new LifecycleError('cannot_open', `cannot open ${location}: ${message}`, { cause: err });
}

/**
 * The store on a PostgreSQL database shared by many gateway nodes: a pool of connections, the
 * same schema and rules as SQLite, claims that never wait on each other (FOR UPDATE SKIP
 * LOCKED), the server's clock, and changes pushed by LISTEN/NOTIFY.
 */
export class PgStore implements LifecycleStore {
  readonly backend = 'postgres' as const;
  readonly recovery: RecoveryStore;
  private closed = false;
  private readonly unwatch = new Set<() => void>();

  private constructor(
    readonly core: PgCore,
    readonly fileVersion: number,
  ) {
    this.recovery = pgRecovery(core);
  }

  static async open(url: string, options: StoreOptions = {}): Promise<PgStore> {
    const config = resolveConfig(options.config);
    const location = redactUrl(url);
    const readOnly = options.readOnly === true;
    const owner = options.owner ?? `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    const pool = new pg.Pool({
      connectionString: url,
      max: options.poolSize ?? 10,
      types: PG_TYPES,
      // The server waits this long for a row lock before giving up (our `locked`), like busy_timeout.
      options: `-c lock_timeout=${config.busyTimeoutMs} ${sessionOptions(owner)}${readOnly ? ' -c default_transaction_read_only=on' : ''}`,
      application_name: 'lifecycle-desk',
    });
    // An idle client's error (server restart) must not crash the process; the next query reports it.
    pool.on('error', () => undefined);
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw cannotOpen(location, err);
    }
    try {
      const version = await migrate(client, location, readOnly);
      const schema = (await client.query<{ s: string }>('SELECT current_schema() AS s')).rows[0]!.s;
      const views = olderSchemaViews(schema, version);
      if (views !== null) {
        // Every connection of the pool, this one and those opened later (its queries queue behind these).
        await client.query(views);
        pool.on('connect', (c) => void c.query(views).catch(() => undefined));
      }
      const serverClock = newServerClock();
      const before = Date.now();
      const startedAt = options.now
        ? options.now()
        : measured(serverClock, (await client.query<{ now: number }>(`SELECT ${SQL_NOW} AS now`)).rows[0]!.now, before);
      const stuck: StuckThresholds = { ...DEFAULT_STUCK, ...options.stuck };
      const core: PgCore = {
        pool,
        config,
        stuck,
        owner,
        startedAt,
        live: new Set(),
        readOnly,
        location,
        clock: options.now,
        serverClock,
      };
      client.release();
      return new PgStore(core, version);
    } catch (err) {
      client.release();
      await pool.end().catch(() => undefined);
      throw err instanceof LifecycleError ? err : cannotOpen(location, err);
    }
  }

  get pool(): pg.Pool {
    return this.core.pool;
  }
  get location(): string {
    return this.core.location;
  }
  get readOnly(): boolean {
    return this.core.readOnly;
  }
  get owner(): string {
    return this.core.owner;
  }
  get config(): LifecycleConfig {
    return this.core.config;
  }
  get stuck(): StuckThresholds {
    return this.core.stuck;
  }
  async now(): Promise<number> {
    if (this.core.clock) return this.core.clock();
    return (await this.core.pool.query<{ now: number }>(`SELECT ${SQL_NOW} AS now`)).rows[0]!.now;
  }

  accept: LifecycleStore['accept'] = (input) => acceptTurn(this.core, input);
  markRunning: LifecycleStore['markRunning'] = (id) => markRunning(this.core, id);
  enqueue: LifecycleStore['enqueue'] = (input) => enqueue(this.core, input);
  beginSend: LifecycleStore['beginSend'] = (id, options = {}) => {
    const leaseMs = options.leaseMs ?? this.core.config.liveLeaseMs;
    if (!Number.isFinite(leaseMs) || leaseMs < this.core.config.busyTimeoutMs) {
      return Promise.reject(
        new LifecycleError(
          'invalid_argument',
          `leaseMs must be at least busyTimeoutMs (${this.core.config.busyTimeoutMs})`,
        ),
      );
    }
    return beginSend(this.core, id, leaseMs);
  };
  ack: LifecycleStore['ack'] = (id) => ack(this.core, id);
  fail: LifecycleStore['fail'] = (id, input) => fail(this.core, id, input);
  finalize: LifecycleStore['finalize'] = async (id, options = {}) => {
    const result = await finalizeTurn(this.core, id, options);
    // As in SQLite: the host's attempt is over, this process no longer holds the turn.
    this.core.live.delete(id);
    return result;
  };
  recordFailure: LifecycleStore['recordFailure'] = (id, error) => recordTurnFailure(this.core, id, error);
  abortSession: LifecycleStore['abortSession'] = (key, who = { actor: 'gateway' }) => abortSession(this.core, key, who);
  expire: LifecycleStore['expire'] = () => expire(this.core);
  prune: LifecycleStore['prune'] = () => prune(this.core);

  operatorAbort: LifecycleStore['operatorAbort'] = (key, by, note) => operatorAbort(this.core, key, by, note);
  operatorReplay: LifecycleStore['operatorReplay'] = (id, by, note) => operatorReplay(this.core, id, by, note);
  operatorRetry: LifecycleStore['operatorRetry'] = (id, by, note) => operatorRetry(this.core, id, by, note);
  operatorTerminate: LifecycleStore['operatorTerminate'] = (id, by, note) => operatorTerminate(this.core, id, by, note);
  operatorPrune: LifecycleStore['operatorPrune'] = (by, note) => operatorPrune(this.core, by, note);
  operatorResend: LifecycleStore['operatorResend'] = (id, by, note) => operatorResend(this.core, id, by, note);
  operatorReplayAsNew: LifecycleStore['operatorReplayAsNew'] = (id, by, note) =>
    operatorReplayAsNew(this.core, id, by, note);
  operatorBatch: LifecycleStore['operatorBatch'] = (action, ids, by, note, jobId) =>
    operatorBatch(this.core, action, ids, by, note, jobId);
  recordBulkJob: LifecycleStore['recordBulkJob'] = (job) => recordBulkJob(this.core, job);
  previewAbort: LifecycleStore['previewAbort'] = (keys) => previewAbort(this.core, keys);

  getTurn: LifecycleStore['getTurn'] = (id) => getTurn(this.core, id);
  getRow: LifecycleStore['getRow'] = (id) => getRow(this.core, id);
  status: LifecycleStore['status'] = () => statusCounts(this.core);
  listTurns: LifecycleStore['listTurns'] = (f = {}) => listTurns(this.core, f);
  listOutbox: LifecycleStore['listOutbox'] = (f = {}) => listOutbox(this.core, f);
  turnDetail: LifecycleStore['turnDetail'] = (id) => turnDetail(this.core, id);
  history: LifecycleStore['history'] = (id) => history(this.core, id);
  auditTrail: LifecycleStore['auditTrail'] = (f = {}) => auditTrail(this.core, f);
  countTurns: LifecycleStore['countTurns'] = (f) => countTurns(this.core, f);
  countOutbox: LifecycleStore['countOutbox'] = (f) => countOutbox(this.core, f);
  errorGroups: LifecycleStore['errorGroups'] = (q = {}) => errorGroups(this.core, q);
  channelStats: LifecycleStore['channelStats'] = (since, until) => channelStats(this.core, since, until);
  series: LifecycleStore['series'] = (w, b) => series(this.core, w, b);
  liveness: LifecycleStore['liveness'] = (last) => liveness(this.core, last ?? null);
  changeStamp: LifecycleStore['changeStamp'] = () => changeStamp(this.core);

  watch(listener: () => void): () => void {
    const stop = watchChanges(this.core, listener);
    const unwatch = (): void => {
      this.unwatch.delete(unwatch);
      stop();
    };
    this.unwatch.add(unwatch);
    return unwatch;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const stop of [...this.unwatch]) stop();
    await this.core.pool.end();
  }
}
