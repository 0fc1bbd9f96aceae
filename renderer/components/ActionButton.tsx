import { useId } from 'react';
import { ActionHint } from './Banners';

export interface ActionButtonProps {
  label: string;
  /**
   * Why no action can be taken at all (the file is read-only), or null: the button is then
   * disabled, its tooltip says why, and it points at the ActionHint (`hintId`) that shows it.
   */
  blocked: string | null;
  /** Why this action does not apply here (nothing selected, a finished row…), or null. */
  unavailable?: string | null | undefined;
  /** The tooltip while the action can be taken. */
  title?: string | undefined;
  hintId: string;
  /** Red outline: the action cannot be undone. */
  danger?: boolean | undefined;
  small?: boolean | undefined;
  onClick(): void;
}

/** An operator action's button: disabled, with the reason as its tooltip, when it cannot be taken. */
export function ActionButton({
  label,
  blocked,
  unavailable,
  title,
  hintId,
  danger,
  small,
  onClick,
}: ActionButtonProps) {
  return (
    <button
      type="button"
      className={`btn${small ? ' btn-small' : ''}${danger ? ' btn-danger-outline' : ''}`}
      disabled={blocked !== null || Boolean(unavailable)}
      title={blocked ?? unavailable ?? title}
      aria-describedby={blocked ? hintId : undefined}
      onClick={onClick}
    >
      {label}
    </button>
  );
}

export interface BulkAction {
  label: string;
  danger?: boolean | undefined;
  /** Why none of the selected rows can take it (or nothing is selected), or null. */
  unavailable: string | null;
  /** Some selected rows can take it and some cannot: the tooltip says how many. */
  title?: string | undefined;
  onRun(): void;
}

/** A table's bulk actions for the selected rows, each disabled with why when it would be refused. */
export function BulkActions({ actions, blocked }: { actions: BulkAction[]; blocked: string | null }) {
  const hintId = useId();
  return (
    <>
      {actions.map((a) => (
        <ActionButton
          key={a.label}
          label={a.label}
          danger={a.danger}
          blocked={blocked}
          unavailable={a.unavailable}
          title={a.title}
          hintId={hintId}
          onClick={a.onRun}
        />
      ))}
      <ActionHint id={hintId} reason={blocked} />
    </>
  );
}
