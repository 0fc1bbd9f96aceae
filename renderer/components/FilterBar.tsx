import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { humanStatus } from '../format';
import { toneOf } from './status-tones';

/** A text input that reports its value after a pause in typing, or at once on Enter. */
export function DebouncedInput({
  label,
  value,
  onCommit,
  placeholder,
  search,
  hint,
  delayMs = 350,
}: {
  label: string;
  value: string;
  onCommit(value: string): void;
  placeholder?: string;
  /** The view's main search box: '/' focuses it. */
  search?: boolean;
  /** What the box matches, in full (its tooltip): the placeholder says it briefly. */
  hint?: string | undefined;
  delayMs?: number;
}) {
  const id = useId();
  const [draft, setDraft] = useState(value);
  const committed = useRef(value);
  const commit = useRef(onCommit);
  useEffect(() => {
    commit.current = onCommit;
  });
  useEffect(() => {
    committed.current = value;
    setDraft(value);
  }, [value]);
  useEffect(() => {
    if (draft === committed.current) return;
    const t = setTimeout(() => {
      // Enter committed it already: the pause's timer, set at the last keystroke, must not send it again.
      if (draft === committed.current) return;
      committed.current = draft;
      commit.current(draft);
    }, delayMs);
    return () => clearTimeout(t);
  }, [draft, delayMs]);
  return (
    <label className={`field${search ? ' field-search' : ''}`} htmlFor={id}>
      <span className="field-label">{label}</span>
      <input
        id={id}
        type={search ? 'search' : 'text'}
        value={draft}
        placeholder={placeholder}
        title={hint}
        spellCheck={false}
        autoComplete="off"
        data-shortcut-search={search ? '' : undefined}
        onChange={(e) => setDraft(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            committed.current = draft;
            onCommit(draft);
          } else if (e.key === 'Escape' && draft) {
            e.stopPropagation();
            setDraft('');
          }
        }}
      />
    </label>
  );
}

/** A labelled choice among fixed options. */
export function SelectField<V extends string>({
  label,
  value,
  options,
  onChange,
}: {
  label: string;
  value: V;
  options: readonly { value: V; label: string }[];
  onChange(value: V): void;
}) {
  return (
    <label className="field">
      <span className="field-label">{label}</span>
      <select value={value} onChange={(e) => onChange(options.find((o) => o.value === e.target.value)?.value ?? value)}>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </label>
  );
}

const ORDERS = [
  { value: 'desc', label: 'Newest first' },
  { value: 'asc', label: 'Oldest first' },
] as const;

export interface FilterBarProps {
  label: string;
  statuses: readonly string[];
  selectedStatuses: readonly string[];
  onStatusesChange(statuses: string[]): void;
  stuck: boolean;
  onStuckChange(stuck: boolean): void;
  /** Failed for good within the attention window, not yet resent / replayed as new. */
  dead: boolean;
  onDeadChange(dead: boolean): void;
  /** "Failed for good (24 h)": the attention window in words. */
  deadLabel: string;
  order: 'asc' | 'desc';
  onOrderChange(order: 'asc' | 'desc'): void;
  onReset(): void;
  /** Text fields (search, session, channel…) and selects. */
  children?: ReactNode;
}

/** Filters of a server-side table: status chips, stuck only, failed for good, order, and the view's fields. */
export function FilterBar({
  label,
  statuses,
  selectedStatuses,
  onStatusesChange,
  stuck,
  onStuckChange,
  dead,
  onDeadChange,
  deadLabel,
  order,
  onOrderChange,
  onReset,
  children,
}: FilterBarProps) {
  const toggle = (s: string): void => {
    onStatusesChange(selectedStatuses.includes(s) ? selectedStatuses.filter((x) => x !== s) : [...selectedStatuses, s]);
  };
  return (
    <div className="filter-bar" role="search" aria-label={label}>
      <div className="filter-fields">
        {children}
        <SelectField label="Order" value={order} options={ORDERS} onChange={onOrderChange} />
        <label className="check">
          <input type="checkbox" checked={stuck} onChange={(e) => onStuckChange(e.target.checked)} />
          Stuck only
        </label>
        <label className="check" title="Failed for good recently (not by a person's choice), not yet sent again">
          <input type="checkbox" checked={dead} onChange={(e) => onDeadChange(e.target.checked)} />
          {deadLabel}
        </label>
      </div>
      <div className="filter-chips">
        <div className="chips" role="group" aria-label="Status">
          {statuses.map((s) => {
            const on = selectedStatuses.includes(s);
            return (
              <button
                key={s}
                type="button"
                className={`chip tone-${toneOf(s)}${on ? ' on' : ''}`}
                aria-pressed={on}
                onClick={() => toggle(s)}
              >
                <span className={`dot tone-${toneOf(s)}`} aria-hidden="true" />
                {humanStatus(s)}
              </button>
            );
          })}
        </div>
        <button type="button" className="btn btn-ghost btn-small" onClick={onReset}>
          Reset filters
        </button>
      </div>
    </div>
  );
}
