import type { ReactNode } from 'react';
import type { Liveness, WorkerBeat } from '../../shared/views';
import { formatAgo, formatTime } from '../format';
import { formatDuration } from '../../shared/stuck';
import type { Tone } from './status-tones';

function workerState(w: WorkerBeat, now: number): { label: string; tone: Tone; detail: string } {
  if (w.alive) return { label: 'alive', tone: 'green', detail: 'its next pass is not overdue' };
  if (w.stoppedAt !== null) return { label: 'stopped', tone: 'gray', detail: `stopped ${formatAgo(w.stoppedAt, now)}` };
  return {
    label: 'silent',
    tone: 'red',
    detail:
      w.nextPassAt !== null && w.nextPassAt < now
        ? `its next pass was due ${formatDuration(now - w.nextPassAt)} ago`
        : 'no recent pass',
  };
}

function nextPass(w: WorkerBeat, now: number): string | null {
  if (!w.alive || w.nextPassAt === null) return null;
  return w.nextPassAt > now + 500 ? `next pass in ${formatDuration(w.nextPassAt - now)}` : 'next pass due now';
}

export interface WorkersCardProps {
  liveness: Liveness | null;
  /** The server's clock now (heartbeats are in its time). */
  now: number;
  error: string | null;
  /** The "Prune now" control, with its disabled reason (rendered in the card's footer). */
  footer?: ReactNode;
}

/** Recovery workers seen in the file (heartbeats of the last 24 h) and when anyone last wrote. */
export function WorkersCard({ liveness, now, error, footer }: WorkersCardProps) {
  const workers = liveness?.workers ?? [];
  const alive = workers.filter((w) => w.alive).length;
  return (
    <section className="card workers" aria-labelledby="workers-title">
      <header className="section-head">
        <h2 id="workers-title">Recovery workers</h2>
        {liveness && (
          <span className={alive ? 'muted' : 'workers-none'}>{alive ? `${alive} alive` : 'none alive'}</span>
        )}
      </header>
      {error && !liveness && <p className="muted empty-small">Could not ask who recovers this database: {error}</p>}
      {liveness && workers.length === 0 && (
        <p className="muted empty-small">No recovery worker recorded a heartbeat in this database in the last 24 h.</p>
      )}
      {workers.length > 0 && (
        <ul className="worker-list" aria-label="Recovery workers">
          {workers.map((w) => {
            const state = workerState(w, now);
            const next = nextPass(w, now);
            return (
              <li key={`${w.owner}:${w.host}:${w.pid}:${w.startedAt}`} data-owner={w.owner} data-alive={w.alive}>
                <div className="stuck-line">
                  <span className={`badge tone-${state.tone}`} title={state.detail}>
                    {state.label}
                  </span>
                  <span className="mono" title={w.owner}>
                    {w.owner}
                  </span>
                  {w.self && <span className="badge tone-violet">this app</span>}
                  <span className="muted push mono">
                    {w.host} · pid {w.pid}
                  </span>
                </div>
                <p className="worker-times">
                  <span title={formatTime(w.lastPassAt)}>
                    {w.lastPassAt === null ? 'no pass yet' : `last pass ${formatAgo(w.lastPassAt, now)}`}
                  </span>
                  {next && <span title={formatTime(w.nextPassAt)}>{next}</span>}
                  {!w.alive && <span>{state.detail}</span>}
                  <span title={formatTime(w.startedAt)}>started {formatAgo(w.startedAt, now)}</span>
                </p>
              </li>
            );
          })}
        </ul>
      )}
      {liveness && (
        <dl className="writes">
          <div>
            <dt>Last write to the lifecycle tables</dt>
            <dd title={formatTime(liveness.lastWriteAt)}>
              {liveness.lastWriteAt === null ? 'none recorded' : formatAgo(liveness.lastWriteAt, now)}
            </dd>
          </div>
          <div>
            <dt>Last commit by another process</dt>
            <dd title={formatTime(liveness.lastExternalWriteAt)}>
              {liveness.lastExternalWriteAt === null
                ? 'none seen since this app opened the database'
                : formatAgo(liveness.lastExternalWriteAt, now)}
            </dd>
          </div>
        </dl>
      )}
      {liveness?.inferred && !liveness.banner && <p className="muted small inferred">{liveness.inferred}</p>}
      {footer && <footer className="workers-foot">{footer}</footer>}
    </section>
  );
}
