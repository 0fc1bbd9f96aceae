import { useId, type ReactNode } from 'react';
import { Dialog } from './Dialog';

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

/** A modal confirmation (Escape cancels, focus back to the opener: Dialog). Buttons: Cancel, Confirm. */
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
  const titleId = useId();
  const bodyId = useId();
  const reasonId = useId();

  return (
    <Dialog
      open={open}
      className="confirm-dialog"
      labelledBy={titleId}
      describedBy={bodyId}
      onDismiss={() => {
        if (!busy) onCancel();
      }}
    >
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
              data-autofocus
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
          <button
            type="button"
            className="btn"
            onClick={onCancel}
            disabled={busy}
            autoFocus={!reason}
            data-autofocus={reason ? undefined : true}
          >
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
    </Dialog>
  );
}
