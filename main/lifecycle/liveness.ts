import type { Liveness, WorkerBeat } from '../../shared/views';
import type { Core } from './context';

/** A worker whose next pass is this late (beyond its own tick, at least) is taken for dead. */
const GRACE_MS = 30_000;
/** Writes within this window count as "a gateway is running". */
const RECENT_MS = 5 * 60_000;

/** A heartbeat as stored; what it means (alive, handlers) is worked out below. */
export type BeatRow = Omit<WorkerBeat, 'alive' | 'self' | 'canDeliver' | 'canReplay'> & { handlers: string | null };

function ago(ms: number): string {
  if (ms < 60_000) return `${Math.max(0, Math.round(ms / 1000))} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 2 * 86_400_000) return `${Math.round(ms / 3_600_000)} h`;
  return `${Math.round(ms / 86_400_000)} days`;
}

/** Why no worker will act on a request, in words (lower case, for the middle of a sentence). */
function why(workers: readonly WorkerBeat[], now: number, need: 'deliver' | 'replay' | 'any'): string {
  const alive = workers.filter((w) => w.alive);
  if (alive.length > 0) {
    const names = alive.map((w) => w.owner).join(', ');
    return `${names} ${alive.length === 1 ? 'runs' : 'run'} here without the gateway's ${need === 'any' ? 'handlers' : `${need} handler`} (expiry, finalization and pruning only)`;
  }
  const last = workers.reduce<number | null>((m, w) => Math.max(m ?? 0, w.lastPassAt ?? w.startedAt), null);
  return last === null
    ? 'no recovery worker has recorded a heartbeat in this database'
    : `no recovery worker has run on this database for ${ago(now - last)}`;
}

const capital = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** Heartbeats this recent are shown. */
const BEATS_SHOWN_MS = 86_400_000;

/**
 * The recent heartbeats, newest first. `from`: the table (with any index hint); `param`: the
 * placeholder of the oldest seen_at shown.
 */
export function beatsSql(from: string, param: string): string {
  return `SELECT owner, host, pid, started_at AS "startedAt", last_pass_at AS "lastPassAt",
         next_pass_at AS "nextPassAt", stopped_at AS "stoppedAt", handlers
       FROM ${from} WHERE seen_at > ${param} ORDER BY seen_at DESC LIMIT 50`;
}

/** The oldest seen_at beatsSql shows. */
export function beatsSince(now: number): number {
  return now - BEATS_SHOWN_MS;
}

/**
 * Newest write anyone made: each an index lookup (newest timeline entry, newest turn, newest
 * row). `max` is the backend's maximum of several values.
 */
export function newestWriteSql(max: 'max' | 'greatest'): string {
  return `SELECT ${max}(
         coalesce((SELECT at FROM message_history WHERE id = (SELECT max(id) FROM message_history)), 0),
         coalesce((SELECT max(accepted_at) FROM message_turns), 0),
         coalesce((SELECT max(queued_at) FROM message_outbox), 0)) AS at`;
}

/** What liveness works out, from what any backend reads. */
export interface LivenessInput {
  now: number;
  /** This process's identity: its own heartbeat is `self`. */
  owner: string;
  /** beatsSql's rows. */
  beats: readonly BeatRow[];
  /** newestWriteSql's `at`. */
  newestWriteAt: number;
  lastExternalWriteAt: number | null;
}

/** Is anyone recovering the data? From the heartbeats, and for gateways that write none, from the newest write. */
export function livenessOf(input: LivenessInput): Liveness {
  const { now, lastExternalWriteAt } = input;
  const workers: WorkerBeat[] = input.beats
    .map(({ handlers, ...r }) => {
      const tick = r.nextPassAt !== null && r.lastPassAt !== null ? r.nextPassAt - r.lastPassAt : 0;
      const alive = r.stoppedAt === null && r.nextPassAt !== null && now <= r.nextPassAt + Math.max(GRACE_MS, 2 * tick);
      const has = new Set((handlers ?? '').split(','));
      return {
        ...r,
        alive,
        self: r.owner === input.owner,
        canDeliver: has.has('deliver'),
        canReplay: has.has('replay'),
      };
    })
    .sort((a, b) => Number(b.alive) - Number(a.alive) || (b.lastPassAt ?? 0) - (a.lastPassAt ?? 0));
  const alive = workers.filter((w) => w.alive);
  const able = alive.filter((w) => w.canDeliver || w.canReplay);
  const lastWriteAt = input.newestWriteAt > 0 ? input.newestWriteAt : null;
  const nextPassAt = alive.length ? Math.min(...alive.map((w) => w.nextPassAt!)) : null;
  let banner: string | null = null;
  let inferred: string | null = null;
  if (able.length === 0) {
    banner = `${capital(why(workers, now, 'any'))}: replays and retries you request will wait until the gateway runs its own recovery worker.`;
    const seen = Math.max(lastWriteAt ?? 0, lastExternalWriteAt ?? 0);
    if (seen > 0 && now - seen < RECENT_MS) {
      inferred = `No heartbeat of a gateway's worker, but the database was written ${ago(now - seen)} ago (${
        lastExternalWriteAt !== null && lastExternalWriteAt >= (lastWriteAt ?? 0)
          ? 'another process committed to it'
          : 'its newest timeline entry'
      }): a gateway is running, and it may run its own recovery without a heartbeat.`;
    } else if (seen > 0) {
      inferred = `Nothing has written to the database for ${ago(now - seen)}: no gateway seems to be running.`;
    }
  }
  return { now, workers, nextPassAt, lastWriteAt, lastExternalWriteAt, banner, inferred };
}

/**
 * Is anyone recovering this file? `lastExternalWriteAt`: when the caller last saw another
 * connection commit (PRAGMA data_version), if it watches.
 */
export function liveness(core: Core, lastExternalWriteAt: number | null = null): Liveness {
  const now = core.now();
  const beats = core
    .stmt(beatsSql('lifecycle_workers INDEXED BY ix_workers_seen', '?'))
    .all(beatsSince(now)) as BeatRow[];
  const { at } = core.stmt(newestWriteSql('max')).get() as { at: number };
  return livenessOf({ now, owner: core.owner, beats, newestWriteAt: at, lastExternalWriteAt });
}

/** When a replay or retry an operator just requested will run, in words. */
export function whenWorkerRuns(l: Liveness, what: string, need: 'deliver' | 'replay'): string {
  const able = l.workers.filter(
    (w) => w.alive && (need === 'deliver' ? w.canDeliver : w.canReplay) && w.nextPassAt !== null,
  );
  const next = able.sort((a, b) => a.nextPassAt! - b.nextPassAt!)[0];
  if (next) {
    const wait = next.nextPassAt! - l.now;
    return `${what} on the next pass of recovery worker ${next.owner}${wait > 1_000 ? `, in about ${ago(wait)}` : ', within seconds'}.`;
  }
  return `${what} when a recovery worker with the gateway's handlers runs: ${why(l.workers, l.now, need)}.`;
}
