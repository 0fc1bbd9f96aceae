import { useEffect, useRef, type KeyboardEvent, type ReactNode } from 'react';

// The one modal every dialog of the app is: a native <dialog> opened with showModal (the page
// behind is inert), with what the platform leaves open done here — Tab wraps inside the dialog
// instead of leaving for the browser's toolbar, Escape always reaches the owner (Chromium closes
// a dialog on a second Escape by itself, which would leave the owner's state open), and the focus
// goes back to what had it before, normally the button that opened the dialog.

const FOCUSABLE = [
  'a[href]',
  'button:not(:disabled)',
  'input:not(:disabled):not([type="hidden"])',
  'select:not(:disabled)',
  'textarea:not(:disabled)',
  'summary',
  '[tabindex]:not([tabindex="-1"])',
].join(', ');

/** The tab stops inside `root`, in order (of a radio group only the checked radio is one). */
export function tabStops(root: HTMLElement): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((el) => {
    if (el.tabIndex < 0 || el.getClientRects().length === 0) return false;
    if (el instanceof HTMLInputElement && el.type === 'radio' && !el.checked) {
      const group = root.querySelectorAll<HTMLInputElement>(`input[type="radio"][name="${CSS.escape(el.name)}"]`);
      return ![...group].some((r) => r.checked) && group[0] === el;
    }
    return true;
  });
}

/** Keeps Tab and Shift+Tab inside `root`: from its last stop to its first, and back. */
export function trapTab(e: KeyboardEvent<HTMLElement>, root: HTMLElement): void {
  if (e.key !== 'Tab') return;
  const stops = tabStops(root);
  const first = stops[0];
  const last = stops.at(-1);
  if (!first || !last) {
    e.preventDefault();
    return;
  }
  const active = document.activeElement;
  const inside = active instanceof Node && root.contains(active);
  if (e.shiftKey && (active === first || !inside)) {
    e.preventDefault();
    last.focus();
  } else if (!e.shiftKey && (active === last || !inside)) {
    e.preventDefault();
    first.focus();
  }
}

export interface DialogProps {
  open: boolean;
  className: string;
  /** The id of the element that names the dialog (its heading), or the name itself. */
  labelledBy?: string;
  label?: string;
  describedBy?: string;
  /** Escape, or a click on the backdrop when `dismissOnBackdrop`: the owner decides (busy: ignore). */
  onDismiss(): void;
  dismissOnBackdrop?: boolean;
  children: ReactNode;
}

/**
 * A modal dialog. On opening, the element marked `data-autofocus` takes the focus (React's
 * autoFocus runs before the dialog is shown, when nothing in it can be focused); otherwise the
 * browser's choice, the first tab stop.
 */
export function Dialog({
  open,
  className,
  labelledBy,
  label,
  describedBy,
  onDismiss,
  dismissOnBackdrop,
  children,
}: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const opener = useRef<HTMLElement | null>(null);

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      opener.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
      dialog.showModal();
      dialog.querySelector<HTMLElement>('[data-autofocus]')?.focus();
    }
    if (!open && dialog.open) {
      dialog.close();
      returnFocus(opener);
    }
  }, [open]);
  // Closed by unmounting (the view went away with it open): the focus still goes back.
  useEffect(() => () => returnFocus(opener), []);

  return (
    <dialog
      ref={ref}
      className={className}
      aria-labelledby={labelledBy}
      aria-label={labelledBy ? undefined : label}
      aria-describedby={describedBy}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.preventDefault();
          e.stopPropagation();
          onDismiss();
        } else if (ref.current) trapTab(e, ref.current);
      }}
      onCancel={(e) => {
        e.preventDefault();
        onDismiss();
      }}
      onClick={(e) => {
        // A click on the dialog element itself, not on its content, is one on the backdrop.
        if (dismissOnBackdrop && e.target === ref.current) onDismiss();
      }}
    >
      {open && children}
    </dialog>
  );
}

function returnFocus(opener: { current: HTMLElement | null }): void {
  const back = opener.current;
  opener.current = null;
  // Only to an element still there that can take it; otherwise the main area, not the <body>.
  if (back?.isConnected && !(back as HTMLButtonElement).disabled && back !== document.body) back.focus();
  else if (back) document.getElementById('main')?.focus();
}
