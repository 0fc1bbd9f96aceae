import { useId } from 'react';
import type { ErrorGroup } from '../../shared/triage';
import { formatAgo, formatNumber, formatTime } from '../format';
import { hrefFor } from '../routing';
import { IdLink, ShortId } from './ShortId';

/** A group action a row offers (each opens the bulk dialog with the group as its filter). */
export type GroupAction = 'retry' | 'resend' | 'terminate' | 'replay-as-new';

export interface ErrorGroupsTableProps {
  groups: ErrorGroup[];
  now: number;
  /** Why no action can be taken (read-only), or null. */
  blocked: string | null;
  onAction(group: ErrorGroup, action: GroupAction): void;
  /** The address of the list filtered to the group's members (the count links there). */
  membersHref(group: ErrorGroup): string;
}

const KIND_WORD: Record<string, string> = {
  final: 'final replies',
  tool: 'tool messages',
  block: 'intermediate blocks',
  direct: 'direct sends',
};

function kindOf(g: ErrorGroup): string {
  return g.subject === 'turn' ? 'turns' : (KIND_WORD[g.kind ?? 'direct'] ?? String(g.kind));
}

/** The group's actions and, for the disabled ones, why. */
function actionsOf(g: ErrorGroup): { action: GroupAction; label: string; why: string | null; danger?: boolean }[] {
  if (g.subject === 'turn') {
    return [
      {
        action: 'replay-as-new',
        label: 'Replay all as new',
        why: g.dead > 0 ? null : 'None of these turns failed for good: they are still being retried.',
      },
    ];
  }
  return [
    {
      action: 'retry',
      label: 'Retry all',
      why: g.retrying > 0 ? null : 'None of these sends will be retried: they failed for good (use Resend all).',
    },
    {
      action: 'resend',
      label: 'Resend all',
      why: g.dead > 0 ? null : 'None of these sends failed for good: they are still being retried.',
    },
    {
      action: 'terminate',
      label: 'Terminate all',
      why: g.retrying > 0 ? null : 'Nothing here is still waiting to be sent.',
      danger: true,
    },
  ];
}

/** Failures grouped by normalized error, per channel and kind, with their actions. */
export function ErrorGroupsTable({ groups, now, blocked, onAction, membersHref }: ErrorGroupsTableProps) {
  const base = useId();
  return (
    <div className="table-scroll static error-groups">
      <table aria-label="Error groups">
        <thead>
          <tr>
            <th scope="col">Error and actions</th>
            <th scope="col">Channel</th>
            <th scope="col" className="num">
              Count
            </th>
            <th scope="col" className="num">
              Will retry
            </th>
            <th scope="col" className="num">
              Failed for good
            </th>
            <th scope="col">Seen</th>
          </tr>
        </thead>
        <tbody>
          {groups.map((g, i) => (
            <tr key={`${g.subject}|${g.channel}|${g.kind ?? ''}|${g.signature}`} data-signature={g.signature}>
              <td className="error-group-main">
                <span id={`${base}-${i}`} className="error-signature mono" title={g.signature}>
                  {g.signature}
                </span>
                <span className="error-sample small">
                  <span className="muted">e.g. </span>
                  <span className="error-sample-text" title={g.sampleError}>
                    {g.sampleError}
                  </span>{' '}
                  {g.subject === 'turn' ? (
                    <IdLink id={g.sampleId} href={hrefFor({ view: 'turn', id: g.sampleId })} />
                  ) : (
                    <ShortId id={g.sampleId} />
                  )}
                </span>
                <div className="group-actions">
                  {actionsOf(g).map((a) => (
                    <button
                      key={a.action}
                      type="button"
                      className={`btn btn-small${a.danger ? ' btn-danger-outline' : ''}`}
                      disabled={blocked !== null || a.why !== null}
                      title={blocked ?? a.why ?? undefined}
                      aria-describedby={`${base}-${i}`}
                      onClick={() => onAction(g, a.action)}
                    >
                      {a.label}
                    </button>
                  ))}
                </div>
              </td>
              <td className="nowrap" data-channel={g.channel}>
                {g.channel}
                <span className="error-kind muted small">{kindOf(g)}</span>
              </td>
              <td className="num">
                <a
                  className="num"
                  href={membersHref(g)}
                  title={`Show the ${g.subject === 'turn' ? 'turns' : 'rows'} of this group`}
                >
                  {formatNumber(g.count)}
                </a>
              </td>
              <td className="num">{formatNumber(g.retrying)}</td>
              <td className="num">{formatNumber(g.dead)}</td>
              <td className="nowrap error-seen">
                <span title={formatTime(g.lastSeen)}>last {formatAgo(g.lastSeen, now)}</span>
                <span className="muted small" title={formatTime(g.firstSeen)}>
                  first {formatAgo(g.firstSeen, now)}
                </span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
