import { useEffect, useId, useRef, type ReactNode } from 'react';

export interface ConfirmDialogProps {
  open: boolean;
  title: string;
  /** Says exactly what will change. */
  children: ReactNode;
  busy?: boolean;
  /** E.g. while an abort preview is being counted. */
  confirmDisabled?: boolean;
  danger?: boolean;
  /**
   * An optional "Reason" field (stored with the action, shown in the audit). When given, it is
   * the first field and takes the focus; otherwise Cancel does.
   */
  reason?: { value: string; onChange(value: string): void; maxLength: number } | undefined;
  onConfirm(): void;
  onCancel(): void;
}

/** A modal confirmation (native <dialog>: focus trap, Escape cancels). Buttons: Cancel, Confirm. */
export function ConfirmDialog({
  open,
  title,
  children,
  busy,
  confirmDisabled,
  danger,
  reason,
  onConfirm,
  onCancel,
}: ConfirmDialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const bodyId = useId();
  const reasonId = useId();

  const opener = useRef<HTMLElement | null>(null);

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      opener.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
      dialog.showModal();
    }
    if (!open && dialog.open) {
      dialog.close();
      // Back to the button that opened it, when it is still there and can take the focus.
      const back = opener.current;
      opener.current = null;
      if (back?.isConnected && !(back as HTMLButtonElement).disabled) back.focus();
    }
  }, [open]);

  return (
    <dialog
      ref={ref}
      className="confirm-dialog"
      aria-labelledby={titleId}
      aria-describedby={bodyId}
      onCancel={(e) => {
        e.preventDefault();
        if (!busy) onCancel();
      }}
    >
      {open && (
        <form
          method="dialog"
          onSubmit={(e) => {
            e.preventDefault();
            if (!busy && !confirmDisabled) onConfirm();
          }}
        >
          <h2 id={titleId}>{title}</h2>
          <div id={bodyId} className="dialog-body">
            {children}
          </div>
          {reason && (
            <label className="field dialog-reason" htmlFor={reasonId}>
              <span className="field-label">Reason (optional, shown in the audit)</span>
              <textarea
                id={reasonId}
                rows={2}
                value={reason.value}
                maxLength={reason.maxLength}
                disabled={busy}
                placeholder="e.g. ticket #4521: the user asked again"
                autoFocus
                onChange={(e) => reason.onChange(e.target.value)}
                onKeyDown={(e) => {
                  // Enter confirms, as in the rest of the dialog; Shift+Enter starts a new line.
                  if (e.key === 'Enter' && !e.shiftKey) {
                    e.preventDefault();
                    e.currentTarget.form?.requestSubmit();
                  }
                }}
              />
            </label>
          )}
          <div className="dialog-actions">
            <button type="button" className="btn" onClick={onCancel} disabled={busy} autoFocus={!reason}>
              Cancel
            </button>
            <button
              type="submit"
              className={`btn ${danger ? 'btn-danger' : 'btn-primary'}`}
              disabled={busy || confirmDisabled}
            >
              Confirm
            </button>
          </div>
        </form>
      )}
    </dialog>
  );
}
