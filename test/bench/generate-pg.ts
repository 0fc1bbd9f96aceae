import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { COUNTER_SHARDS } from '../../main/store/postgres/schema';
import { PgStore } from '../../main/store/postgres/store';
import { BENCH_OUTBOX_COLUMNS, BENCH_TURN_COLUMNS, benchData } from './generate';
import { int } from './stats';

// The read benchmark's data (generate.ts: the same rows as the SQLite file for the same size and
// "now") loaded into an empty PostgreSQL database that PgStore migrated. Fast, the way a bulk
// load is done: the secondary indexes dropped and the triggers disabled during the load, the
// rows sent in big batches, each one JSON array (INSERT … SELECT FROM jsonb_array_elements), on two
// connections at once (turns on one, outbox rows on the other) while this process generates
// the next batch; then what the triggers would have written is rebuilt in one statement per
// table, the indexes are created again from their own definitions, the triggers re-enabled,
// and the tables vacuumed and analyzed. Nothing is cached: the cluster is a throwaway one.

/** Turns per INSERT (and their 3 outbox rows each, in the other connection's INSERT). */
const BATCH = 10_000;
const TABLES = ['message_turns', 'message_outbox', 'message_history'];

export interface PgReadDb {
  url: string;
  turns: number;
  rows: number;
  history: number;
  /** The "now" the rows were generated for (the store's clock is fixed there). */
  generatedAt: number;
  generationMs: number;
  /** Where the generation time went, e.g. "load 41.2 s, counters 3.1 s, …". */
  phases: string;
  bytes: number;
}

/**
 * INSERT … SELECT of a batch sent as one JSON array of rows (each an array of values in
 * `columns` order), parsed once as jsonb: JSON.stringify is by far the cheapest way to send
 * them from here, and this the cheapest way found to read them there (the driver's array
 * literals, one unnest array per column and multi-row VALUES all cost more on one side or both).
 */
function insertSql(table: string, columns: readonly string[]): string {
  const values = columns.map((c, i) => `(r->>${i})${/_at$|_count$/.test(c) ? '::bigint' : ''}`);
  return `INSERT INTO ${table} (${columns.join(', ')}) SELECT ${values.join(', ')} FROM jsonb_array_elements($1::jsonb) AS r`;
}

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, application_name: 'lifecycle-desk-bench-load' });
  await client.connect();
  // A bulk load: no wait for the WAL flush at each batch's commit (what is committed stays, a
  // crash loses at most the last moment), room for sorts and index builds.
  await client.query(`SET synchronous_commit = off; SET maintenance_work_mem = '256MB'; SET work_mem = '256MB'`);
  return client;
}

/** The shard this connection's trigger writes would have counted in (schema.ts: pg_backend_pid() % shards). */
async function shardOf(client: pg.Client): Promise<number> {
  return (await client.query<{ s: number }>(`SELECT pg_backend_pid() % ${COUNTER_SHARDS} AS s`)).rows[0]!.s;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

export async function loadPgReadDb(
  url: string,
  turns: number,
  now: number,
  log: (line: string) => void,
): Promise<PgReadDb> {
  const t0 = performance.now();
  await (await PgStore.open(url, { poolSize: 1 })).close(); // the real schema, through the real migrations
  const [main, turnsConn, rowsConn] = await Promise.all([connect(url), connect(url), connect(url)]);
  const phases: string[] = [];
  let mark = performance.now();
  const phase = (name: string): void => {
    const t = performance.now();
    phases.push(`${name} ${seconds(t - mark)}`);
    mark = t;
  };
  try {
    // Secondary indexes (not those of a constraint: the primary keys stay), to build again after the load.
    const indexes = (
      await main.query<{ name: string; def: string }>(
        `SELECT indexname AS name, indexdef AS def FROM pg_indexes
         WHERE schemaname = current_schema() AND tablename = ANY($1)
           AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE connamespace = current_schema()::regnamespace)
         ORDER BY indexname`,
        [TABLES],
      )
    ).rows;
    for (const ix of indexes) await main.query(`DROP INDEX ${pg.escapeIdentifier(ix.name)}`);
    await main.query('ALTER TABLE message_turns DISABLE TRIGGER USER; ALTER TABLE message_outbox DISABLE TRIGGER USER');

    // The load: while one batch is in the server, the next is generated here.
    const insertTurns = insertSql('message_turns', BENCH_TURN_COLUMNS);
    const insertRows = insertSql('message_outbox', BENCH_OUTBOX_COLUMNS);
    let inFlight: Promise<unknown> = Promise.resolve();
    let batchTurns: unknown[][] = [];
    let batchRows: unknown[][] = [];
    let sent = 0;
    let rows = 0;
    let nextLog = Math.floor(turns / 4);
    const send = async (): Promise<void> => {
      const t = [JSON.stringify(batchTurns)];
      const r = [JSON.stringify(batchRows)];
      sent += batchTurns.length;
      rows += batchRows.length;
      batchTurns = [];
      batchRows = [];
      await inFlight;
      inFlight = Promise.all([turnsConn.query(insertTurns, t), rowsConn.query(insertRows, r)]);
      // Unobserved until the next send: a failure must not be an unhandled rejection meanwhile.
      inFlight.catch(() => undefined);
      if (sent >= nextLog && sent < turns) {
        log(`  … ${int(sent)} turns (${seconds(performance.now() - t0)})`);
        nextLog += Math.floor(turns / 4);
      }
    };
    for (const t of benchData(turns, now)) {
      batchTurns.push(t.turn);
      batchRows.push(...t.rows);
      if (batchTurns.length === BATCH) await send();
    }
    if (batchTurns.length > 0) await send();
    await inFlight;
    phase('load');

    // What the triggers (schema.ts) would have written for these inserts, by the connection
    // that made each: its count shard, per-minute counters, and a gateway's timeline entry per
    // insert (the loading connections were not our core). The turns' minutes are counted as the
    // SQLite file's are (generate.ts, migration v2's backfill): 'accepted' at accepted_at, then
    // the move to the turn's status at updated_at, as an insert and one status update would be.
    const [turnShard, rowShard] = [await shardOf(turnsConn), await shardOf(rowsConn)];
    await main.query('BEGIN');
    await main.query('SET LOCAL synchronize_seqscans = off'); // the timeline in insertion order, per subject
    await main.query(`DELETE FROM lifecycle_counts; DELETE FROM lifecycle_minutes; DELETE FROM message_history`);
    await main.query(
      `INSERT INTO lifecycle_counts (entity, status, shard, n)
         SELECT 'turn', status, $1::smallint, count(*) FROM message_turns GROUP BY status
         UNION ALL SELECT 'outbox', status, $2::smallint, count(*) FROM message_outbox GROUP BY status`,
      [turnShard, rowShard],
    );
    await main.query(
      `INSERT INTO lifecycle_minutes (entity, minute, status, shard, entered, exited)
         SELECT 'turn', minute, status, $1::smallint, sum(entered), sum(exited) FROM (
           SELECT accepted_at / 60000 AS minute, 'accepted' AS status, 1 AS entered, 0 AS exited FROM message_turns
           UNION ALL SELECT updated_at / 60000, status, 1, 0 FROM message_turns WHERE status <> 'accepted'
           UNION ALL SELECT updated_at / 60000, 'accepted', 0, 1 FROM message_turns WHERE status <> 'accepted'
         ) AS moves GROUP BY minute, status
         UNION ALL
         SELECT 'outbox', coalesce(completed_at, queued_at) / 60000, status, $2::smallint, count(*), 0 FROM message_outbox
         GROUP BY 2, 3`,
      [turnShard, rowShard],
    );
    const history = await main.query(
      `INSERT INTO message_history (kind, entity_id, subject_id, from_status, to_status, actor, reason, actor_name, at)
         SELECT 'turn', id, id, NULL, status, 'gateway',
                CASE WHEN status <> 'accepted' AND status <> 'running' THEN terminal_reason END, NULL, $1::bigint
         FROM message_turns`,
      [now],
    );
    const rowHistory = await main.query(
      `INSERT INTO message_history (kind, entity_id, subject_id, from_status, to_status, actor, reason, actor_name, at)
         SELECT 'outbox', id, coalesce(turn_id, id), NULL, status, 'gateway',
                CASE WHEN status <> 'queued' AND status <> 'delivered' THEN coalesce(terminal_reason, last_error) END,
                NULL, $1::bigint
         FROM message_outbox`,
      [now],
    );
    await main.query('ALTER TABLE message_turns ENABLE TRIGGER USER; ALTER TABLE message_outbox ENABLE TRIGGER USER');
    await main.query('COMMIT');
    phase('counters and timeline');

    // The indexes again, from their own definitions, two at a time (one per connection), largest tables first.
    const queue = [...indexes].sort((a, b) => TABLES.indexOf(tableOf(b.def)) - TABLES.indexOf(tableOf(a.def)));
    await Promise.all(
      [turnsConn, rowsConn].map(async (client) => {
        for (let ix = queue.shift(); ix; ix = queue.shift()) await client.query(ix.def);
      }),
    );
    phase(`${indexes.length} indexes`);

    // Vacuumed (visibility map and hint bits set, so autovacuum has nothing left to do while the
    // reads are timed) and analyzed, then checkpointed (no dirty buffers flushed during the timing).
    await Promise.all([
      turnsConn.query('VACUUM (ANALYZE) message_turns'),
      rowsConn.query('VACUUM (ANALYZE) message_outbox'),
      main.query('VACUUM (ANALYZE) message_history, lifecycle_counts, lifecycle_minutes'),
    ]);
    await main.query('CHECKPOINT').catch(() => undefined); // superuser or pg_checkpoint only: not needed
    phase('vacuum and analyze');

    const bytes = (await main.query<{ b: number }>('SELECT pg_database_size(current_database()) AS b')).rows[0]!.b;
    return {
      url,
      turns: sent,
      rows,
      history: (history.rowCount ?? 0) + (rowHistory.rowCount ?? 0),
      generatedAt: now,
      generationMs: performance.now() - t0,
      phases: phases.join(', '),
      bytes: Number(bytes),
    };
  } finally {
    await Promise.all([main.end(), turnsConn.end(), rowsConn.end()]);
  }
}

/** The table a CREATE INDEX statement (pg_indexes.indexdef) is on. */
function tableOf(def: string): string {
  return /\bON (?:ONLY )?(?:\w+\.)?(\w+)/.exec(def)?.[1] ?? '';
}
