import { useState } from 'react';
import { useClearAfter } from '../hooks';

export interface CopyLinkProps {
  /** Copies the link; says what it copied, and whether the clipboard took it. */
  onCopy(): Promise<{ link: string; copied: boolean }>;
}

/**
 * "Copy link": the address of the view as shown (filters, order, selection). When the clipboard
 * refuses, the link is shown selected instead, to copy by hand.
 */
export function CopyLink({ onCopy }: CopyLinkProps) {
  const [state, setState] = useState<{ link: string; copied: boolean } | null>(null);
  useClearAfter(state?.copied === true, 2_000, () => setState(null));
  return (
    <span className="copy-link">
      <button
        type="button"
        className="btn btn-ghost btn-small"
        title="Copy the link to this view, with its filters and selection"
        onClick={() => void onCopy().then(setState)}
      >
        {state?.copied ? 'Link copied' : 'Copy link'}
      </button>
      {/* A live region without role="status": the page's one status is the action's result. */}
      <span className="sr-only" aria-live="polite">
        {state?.copied ? 'Link copied' : ''}
      </span>
      {state && !state.copied && (
        <input
          className="copy-link-text mono"
          aria-label="Link to this view"
          readOnly
          value={state.link}
          ref={(el) => el?.select()}
          onBlur={() => setState(null)}
        />
      )}
    </span>
  );
}
