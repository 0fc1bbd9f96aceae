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
  onConfirm,
  onCancel,
}: ConfirmDialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const bodyId = useId();

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
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
          <div className="dialog-actions">
            <button type="button" className="btn" onClick={onCancel} disabled={busy} autoFocus>
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
