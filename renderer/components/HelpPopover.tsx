import { useId } from 'react';
import { Dialog } from './Dialog';
import { HelpContent } from './HelpContent';

export interface HelpPopoverProps {
  open: boolean;
  onOpenChange(open: boolean): void;
  /** Each: alternatives, each a sequence of keys ([['g', 'o'], ['1']]), and what it does. */
  shortcuts: readonly { keys: string[][]; label: string }[];
}

/**
 * The "?" button of the topbar and the help it opens: a modal dialog drawn where a popover
 * would be (Tab stays inside, Escape or a click outside closes it, the focus comes back).
 */
export function HelpPopover({ open, onOpenChange, shortcuts }: HelpPopoverProps) {
  const titleId = useId();
  return (
    <div className="help">
      <button
        type="button"
        className="icon-button"
        aria-haspopup="dialog"
        aria-expanded={open}
        onClick={() => onOpenChange(!open)}
        title="Help: statuses, actions and keyboard shortcuts (?)"
      >
        <span aria-hidden="true">?</span>
        <span className="sr-only">Help</span>
      </button>
      <Dialog
        open={open}
        className="popover help-dialog"
        label="Help"
        onDismiss={() => onOpenChange(false)}
        dismissOnBackdrop
      >
        <div className="help-dialog-body">
          <section id="shortcut-help" aria-labelledby={titleId}>
            <h2 id={titleId}>Help</h2>
            <HelpContent shortcuts={shortcuts} />
          </section>
          <div className="dialog-actions">
            <button type="button" className="btn btn-small" onClick={() => onOpenChange(false)} data-autofocus>
              Close
            </button>
          </div>
        </div>
      </Dialog>
    </div>
  );
}
