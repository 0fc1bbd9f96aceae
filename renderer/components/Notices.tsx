import type { MouseEvent } from 'react';

export interface NoticeLink {
  label: string;
  /** The full id it points at (the label shortens it). */
  title: string;
  href: string;
  onClick?(e: MouseEvent<HTMLAnchorElement>): void;
}

export interface NoticesProps {
  /** The last action's result. */
  message: string | null;
  /** What it created (a resend, a new turn), as links after the message. */
  links?: NoticeLink[];
  /** When what was requested will actually happen, under the message. */
  note: string | null;
  /** The last action's error, until dismissed. */
  error: string | null;
  onDismissError(): void;
}

/** Links shown after a result; more are counted ("and 12 more"): the views list them all. */
const MAX_LINKS = 5;

/** The status line of the last operator action, and its error. */
export function Notices({ message, links = [], note, error, onDismissError }: NoticesProps) {
  const shown = links.slice(0, MAX_LINKS);
  return (
    <div className="notices">
      <div role="status" aria-live="polite" className={message ? 'notice notice-ok notice-stack' : 'notice-empty'}>
        {message && <span>{message}</span>}
        {message && shown.length > 0 && (
          <span className="notice-links" data-testid="action-links">
            {shown.map((l) => (
              <a key={l.href + l.label} className="mono" href={l.href} title={l.title} onClick={l.onClick}>
                {l.label}
              </a>
            ))}
            {links.length > shown.length && <span className="muted">and {links.length - shown.length} more</span>}
          </span>
        )}
        {message && note && (
          <span className="notice-note" data-testid="action-note">
            {note}
          </span>
        )}
      </div>
      {error && (
        <div role="alert" className="notice notice-error">
          <span>{error}</span>
          <button type="button" className="btn btn-ghost btn-small" onClick={onDismissError}>
            Dismiss
          </button>
        </div>
      )}
    </div>
  );
}
