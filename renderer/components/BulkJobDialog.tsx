import { useId } from 'react';
import type { BulkPreview } from '../../shared/api';
import { plainStatus, type BulkAction, type BulkJob } from '../../shared/triage';
import type { OutboxListItem, TurnListItem } from '../../shared/views';
import { formatNumber, shortId } from '../format';
import { Dialog } from './Dialog';
import { StatusBadge } from './StatusBadge';

export interface BulkJobDialogProps {
  open: boolean;
  list: 'turns' | 'outbox';
  actions: readonly BulkAction[];
  action: BulkAction;
  /** Each action's button label, its question and what it did to a row ("made due now"). */
  words: Record<BulkAction, { label: string; ask: string; done: string; irreversible: boolean }>;
  preview: BulkPreview | null;
  previewError: string | null;
  reason: string;
  starting: boolean;
  /** Why it could not start (or be cancelled). */
  error: string | null;
  /** The job once started: progress, then the summary. */
  job: BulkJob | null;
  onAction(action: BulkAction): void;
  onReason(reason: string): void;
  onStart(): void;
  onCancelJob(): void;
  onClose(): void;
}

const SHOWN_REFUSALS = 5;

function sampleError(item: TurnListItem | OutboxListItem): string {
  if ('lastError' in item && item.lastError) return item.lastError;
  return item.stuckReason ?? item.terminalReason ?? '';
}

/** A bulk action over every row matching a filter: preview, reason, then the job's progress. */
export function BulkJobDialog(props: BulkJobDialogProps) {
  const { open, list, actions, action, words, preview, previewError, reason, starting, error, job } = props;
  const titleId = useId();
  const reasonId = useId();

  const noun = list === 'turns' ? 'turn' : 'row';
  const nouns = `${noun}s`;
  const word = words[action];
  const running = job?.state === 'running';
  const title = job ? `${word.label}: ${running ? 'running' : job.state}` : `${word.label} all matching ${nouns}?`;

  return (
    <Dialog
      open={open}
      className="confirm-dialog bulk-dialog"
      labelledBy={titleId}
      onDismiss={() => {
        if (!starting) props.onClose();
      }}
    >
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          if (!job && preview && preview.count > 0 && !starting) props.onStart();
        }}
      >
        <h2 id={titleId}>{title}</h2>
        {!job ? (
          <div className="dialog-body">
            {actions.length > 1 && (
              <fieldset className="bulk-actions-pick">
                <legend>Action</legend>
                {actions.map((a, i) => (
                  <label key={a} className="check">
                    <input
                      type="radio"
                      name="bulk-action"
                      value={a}
                      checked={a === action}
                      autoFocus={a === action || (i === 0 && !actions.includes(action))}
                      data-autofocus={a === action || (i === 0 && !actions.includes(action)) || undefined}
                      onChange={() => props.onAction(a)}
                    />
                    {words[a].label}
                  </label>
                ))}
              </fieldset>
            )}
            {previewError ? (
              <p className="notice notice-error" role="alert">
                Could not count the {nouns}: {previewError}
              </p>
            ) : !preview ? (
              <p className="muted" aria-live="polite">
                Counting the matching {nouns}…
              </p>
            ) : (
              <>
                <p className="bulk-count" data-testid="bulk-count" aria-live="polite">
                  <strong className="num">{formatNumber(preview.count)}</strong> of{' '}
                  <span className="num">{formatNumber(preview.matching)}</span> matching {nouns}{' '}
                  {preview.count === 1 ? 'is' : 'are'} in a state to be {word.done}.
                  {preview.count < preview.matching && ' The others are left as they are.'}
                </p>
                <p className="bulk-filter-text">
                  <span className="muted">Filter:</span> {preview.filterText || 'none (everything)'}
                </p>
                {preview.sample.length > 0 && (
                  <div className="table-scroll static bulk-sample">
                    <table aria-label={`Sample of the ${nouns}`}>
                      <thead>
                        <tr>
                          <th scope="col">{list === 'turns' ? 'Turn' : 'Row'}</th>
                          <th scope="col">Status</th>
                          <th scope="col">Channel</th>
                          <th scope="col">Error</th>
                        </tr>
                      </thead>
                      <tbody>
                        {preview.sample.slice(0, 10).map((item) => (
                          <tr key={item.id}>
                            <td className="mono" title={item.id}>
                              {shortId(item.id)}
                            </td>
                            <td>
                              <StatusBadge status={item.status} />
                            </td>
                            <td>{item.channel}</td>
                            <td className="wrap bulk-sample-error">{sampleError(item)}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                )}
                <p className="muted small">
                  Each {noun} is checked again when its turn comes: one that changed meanwhile is refused, not forced.
                  {word.irreversible ? ' This cannot be undone.' : ''}
                </p>
              </>
            )}
            <label className="field bulk-reason" htmlFor={reasonId}>
              <span className="field-label">Reason (optional, shown in the audit)</span>
              <input
                id={reasonId}
                type="text"
                maxLength={500}
                value={reason}
                autoFocus={actions.length <= 1}
                data-autofocus={actions.length <= 1 || undefined}
                placeholder="e.g. telegram outage, ticket 4411"
                onChange={(e) => props.onReason(e.target.value)}
              />
            </label>
            {error && (
              <p className="notice notice-error" role="alert">
                {error}
              </p>
            )}
          </div>
        ) : (
          <JobProgress job={job} noun={noun} done={word.done} error={error} />
        )}
        <div className="dialog-actions">
          {!job ? (
            <>
              <button type="button" className="btn" onClick={props.onClose} disabled={starting}>
                Cancel
              </button>
              <button
                type="submit"
                className={`btn ${word.irreversible ? 'btn-danger' : 'btn-primary'}`}
                disabled={starting || !preview || preview.count === 0}
              >
                {preview
                  ? `${word.label} ${formatNumber(preview.count)} ${preview.count === 1 ? noun : nouns}`
                  : 'Start'}
              </button>
            </>
          ) : (
            <>
              {running && (
                <button type="button" className="btn btn-danger-outline" onClick={props.onCancelJob}>
                  Cancel job
                </button>
              )}
              <button type="button" className="btn btn-primary" onClick={props.onClose} autoFocus data-autofocus>
                {running ? 'Close (keeps running)' : 'Close'}
              </button>
            </>
          )}
        </div>
      </form>
    </Dialog>
  );
}

function JobProgress({ job, noun, done, error }: { job: BulkJob; noun: string; done: string; error: string | null }) {
  const handled = job.done + job.refused;
  const refusals = job.refusals.slice(0, SHOWN_REFUSALS);
  return (
    <div className="dialog-body" data-testid="bulk-job" data-state={job.state}>
      <progress
        className="bulk-progress"
        max={Math.max(1, job.total)}
        value={handled}
        aria-label="Progress of the job"
      />
      <p className="bulk-progress-text num" aria-live="polite">
        {formatNumber(handled)} of {formatNumber(job.total)} · {formatNumber(job.done)} {done} ·{' '}
        {formatNumber(job.refused)} refused
      </p>
      {job.state === 'done' && (
        <p className="notice notice-ok">
          Finished: {formatNumber(job.done)} {job.done === 1 ? noun : `${noun}s`} {done}, {formatNumber(job.refused)}{' '}
          refused. One entry in the audit says so.
        </p>
      )}
      {job.state === 'cancelled' && (
        <p className="notice notice-warn">
          Cancelled after {formatNumber(handled)} of {formatNumber(job.total)}: the rest were left as they are.
        </p>
      )}
      {job.state === 'failed' && (
        <p className="notice notice-error" role="alert">
          The job stopped: {job.error ?? 'unknown error'}
        </p>
      )}
      {refusals.length > 0 && (
        <div className="bulk-refusals">
          <p className="muted small">
            Refused{job.refused > refusals.length ? ` (first ${formatNumber(refusals.length)})` : ''}:
          </p>
          <ul>
            {refusals.map((r) => (
              <li key={r.id}>
                <span className="mono" title={r.id}>
                  {shortId(r.id)}
                </span>
                : {r.error}
              </li>
            ))}
          </ul>
        </div>
      )}
      {job.reason && (
        <p className="muted small">
          Reason: <span className="bulk-note">{job.reason}</span>
        </p>
      )}
      <p className="muted small">
        Filter: {job.filterText || 'none'} · by {job.by}
      </p>
      {error && (
        <p className="notice notice-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

/** The topbar's note of jobs still running; it reopens the newest one's progress. */
export function JobsIndicator({ jobs, onOpen }: { jobs: BulkJob[]; onOpen(id: string): void }) {
  if (jobs.length === 0) return null;
  const last = jobs[jobs.length - 1]!;
  const handled = jobs.reduce((n, j) => n + j.done + j.refused, 0);
  const total = jobs.reduce((n, j) => n + j.total, 0);
  return (
    <button
      type="button"
      className="btn btn-small jobs-indicator"
      data-testid="jobs-indicator"
      title={`${plainStatus(last.action)} by filter: ${formatNumber(handled)} of ${formatNumber(total)}`}
      onClick={() => onOpen(last.id)}
    >
      <span className="jobs-spinner" aria-hidden="true" />
      {jobs.length === 1 ? '1 job' : `${formatNumber(jobs.length)} jobs`}
      <span className="jobs-running"> running</span>
    </button>
  );
}
