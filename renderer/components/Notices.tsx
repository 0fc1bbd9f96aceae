export interface NoticesProps {
  /** The last action's result. */
  message: string | null;
  /** When what was requested will actually happen, under the message. */
  note: string | null;
  /** The last action's error, until dismissed. */
  error: string | null;
  onDismissError(): void;
}

/** The status line of the last operator action, and its error. */
export function Notices({ message, note, error, onDismissError }: NoticesProps) {
  return (
    <div className="notices">
      <div role="status" aria-live="polite" className={message ? 'notice notice-ok notice-stack' : 'notice-empty'}>
        {message && <span>{message}</span>}
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
