import { useEffect, useId, useState } from 'react';
import { pad } from '../format';

export interface TimeRangeValue {
  since?: number | undefined;
  until?: number | undefined;
}

const HOUR = 3_600_000;
const PRESETS = [
  { value: '1h', label: 'Last hour', ms: HOUR },
  { value: '24h', label: 'Last 24 h', ms: 24 * HOUR },
  { value: '7d', label: 'Last 7 days', ms: 7 * 24 * HOUR },
] as const;
type Mode = '' | (typeof PRESETS)[number]['value'] | 'custom';

/** ms → the value of an <input type="datetime-local"> (local time, to the minute). */
export function toLocalInput(ms: number | undefined): string {
  if (ms === undefined) return '';
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The value of a datetime-local input → ms (local time); undefined when empty or not a date. */
export function fromLocalInput(value: string): number | undefined {
  if (!value) return undefined;
  const ms = new Date(value).getTime();
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

/** One local date and time, to the minute; emptied or not a date, it stands for no bound. */
export function DateTimeField({
  label,
  id,
  value,
  onChange,
}: {
  label: string;
  id?: string;
  value: number | undefined;
  onChange(ms: number | undefined): void;
}) {
  return (
    <label className="field" htmlFor={id}>
      <span className="field-label">{label}</span>
      <input
        id={id}
        type="datetime-local"
        value={toLocalInput(value)}
        onChange={(e) => onChange(fromLocalInput(e.target.value))}
      />
    </label>
  );
}

/**
 * A time range: any time, a preset counted back from now (fixed when chosen: the list does not
 * shift under the reader), or From / To in local time.
 */
export function TimeRange({
  label,
  value,
  onChange,
}: {
  /** What the range applies to: "Accepted", "Queued". */
  label: string;
  value: TimeRangeValue;
  onChange(value: TimeRangeValue): void;
}) {
  const id = useId();
  const empty = value.since === undefined && value.until === undefined;
  const [mode, setMode] = useState<Mode>(empty ? '' : 'custom');
  // "Reset filters" (or a card of the overview) clears the range: the choice follows.
  useEffect(() => {
    if (empty) setMode('');
  }, [empty]);

  const choose = (next: Mode): void => {
    setMode(next);
    const preset = PRESETS.find((p) => p.value === next);
    if (preset) onChange({ since: Date.now() - preset.ms, until: undefined });
    else if (next === '') onChange({ since: undefined, until: undefined });
  };

  return (
    <div className="field-group time-range" role="group" aria-labelledby={`${id}-label`}>
      <label className="field" htmlFor={`${id}-mode`}>
        <span className="field-label" id={`${id}-label`}>
          {label}
        </span>
        <select id={`${id}-mode`} value={mode} onChange={(e) => choose(e.target.value as Mode)}>
          <option value="">Any time</option>
          {PRESETS.map((p) => (
            <option key={p.value} value={p.value}>
              {p.label}
            </option>
          ))}
          <option value="custom">From – to…</option>
        </select>
      </label>
      {mode === 'custom' && (
        <>
          <DateTimeField
            label="From"
            id={`${id}-since`}
            value={value.since}
            onChange={(since) => onChange({ ...value, since })}
          />
          <DateTimeField
            label="To"
            id={`${id}-until`}
            value={value.until}
            onChange={(until) => onChange({ ...value, until })}
          />
        </>
      )}
    </div>
  );
}
