import { useState } from 'react';
import { useClearAfter } from '../hooks';
import { Icon } from './Icon';

/** How long "Copied" stays: long enough to read, short enough not to linger beside the next id. */
const CONFIRM_MS = 1500;

/**
 * A small button that puts `text` on the clipboard and says "Copied" (or why not). The words
 * are announced politely; the button keeps its label, so a second press copies again.
 */
export function CopyButton({ text, label = 'Copy id' }: { text: string; label?: string }) {
  const [said, setSaid] = useState<'Copied' | 'Could not copy' | null>(null);
  useClearAfter(said !== null, CONFIRM_MS, () => setSaid(null));
  return (
    <span className="copy">
      <button
        type="button"
        className="copy-button"
        aria-label={label}
        title={`${label}: ${text}`}
        onClick={(e) => {
          // Inside a clickable table row the copy must not also open the row.
          e.stopPropagation();
          const clip = typeof navigator !== 'undefined' ? navigator.clipboard : undefined;
          if (!clip) return setSaid('Could not copy');
          clip.writeText(text).then(
            () => setSaid('Copied'),
            () => setSaid('Could not copy'),
          );
        }}
      >
        <Icon size={13}>
          <rect x="9" y="9" width="12" height="12" rx="2" />
          <path d="M5 15H4a1 1 0 0 1-1-1V4a1 1 0 0 1 1-1h10a1 1 0 0 1 1 1v1" />
        </Icon>
      </button>
      <span className="copied" aria-live="polite">
        {said}
      </span>
    </span>
  );
}
