import { useEffect, useRef } from 'react';

/** How a key reads in the help (KeyboardEvent.key names otherwise). */
const KEY_NAMES: Record<string, string> = { Escape: 'Esc' };

export interface HelpPopoverProps {
  open: boolean;
  onOpenChange(open: boolean): void;
  /** Each: alternatives, each a sequence of keys ([['g', 'o'], ['1']]), and what it does. */
  shortcuts: readonly { keys: string[][]; label: string }[];
}

/** The "?" button of the topbar and its list of keyboard shortcuts (a click outside closes it). */
export function HelpPopover({ open, onOpenChange, shortcuts }: HelpPopoverProps) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const onDown = (e: MouseEvent): void => {
      if (ref.current && !ref.current.contains(e.target as Node)) onOpenChange(false);
    };
    document.addEventListener('mousedown', onDown);
    return () => document.removeEventListener('mousedown', onDown);
  }, [open, onOpenChange]);
  return (
    <div className="help" ref={ref}>
      <button
        type="button"
        className="icon-button"
        aria-expanded={open}
        aria-controls="shortcut-help"
        onClick={() => onOpenChange(!open)}
        title="Keyboard shortcuts (?)"
      >
        <span aria-hidden="true">?</span>
        <span className="sr-only">Keyboard shortcuts</span>
      </button>
      {open && (
        <div id="shortcut-help" className="popover" role="region" aria-label="Keyboard shortcuts">
          <h2>Keyboard shortcuts</h2>
          <table>
            <tbody>
              {shortcuts.map(({ keys, label }) => (
                <tr key={label}>
                  <td>
                    {keys.map((sequence, i) => (
                      <span key={sequence.join(' ')}>
                        {i > 0 && <span className="muted"> or </span>}
                        {sequence.map((key, j) => (
                          <span key={key}>
                            {j > 0 && ' '}
                            <kbd>{KEY_NAMES[key] ?? key}</kbd>
                          </span>
                        ))}
                      </span>
                    ))}
                  </td>
                  <td>{label}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
