import { useEffect, useRef } from 'react';
import { HelpContent } from './HelpContent';

export interface HelpPopoverProps {
  open: boolean;
  onOpenChange(open: boolean): void;
  /** Each: alternatives, each a sequence of keys ([['g', 'o'], ['1']]), and what it does. */
  shortcuts: readonly { keys: string[][]; label: string }[];
}

/** The "?" button of the topbar and its help: statuses, stuck reasons, actions, shortcuts (a click outside closes it). */
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
          <h2>Help</h2>
          <HelpContent shortcuts={shortcuts} />
        </div>
      )}
    </div>
  );
}
