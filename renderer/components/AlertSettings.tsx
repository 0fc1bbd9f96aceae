import { useId } from 'react';
import { ALERT_INTERVALS_MS, type AlertSettings as Settings } from '../../shared/alerts';
import type { NoticePermission, ThresholdKey } from '../stores/alerts';
import { Dialog } from './Dialog';
import { Icon } from './Icon';

const THRESHOLDS: readonly { key: ThresholdKey; label: string; hint: string }[] = [
  { key: 'stuckTurns', label: 'Stuck turns', hint: 'turns at or above' },
  { key: 'stuckOutbox', label: 'Stuck outbox rows', hint: 'rows at or above' },
  { key: 'deadLetters', label: 'Failed for good', hint: 'turns and rows at or above' },
];

function intervalLabel(ms: number): string {
  const min = ms / 60_000;
  return min < 60 ? `${min} minutes` : min === 60 ? '1 hour' : `${min / 60} hours`;
}

const BELL_GLYPH = (
  <>
    <path d="M6 8a6 6 0 0 1 12 0c0 7 3 9 3 9H3s3-2 3-9" />
    <path d="M10.3 21a1.94 1.94 0 0 0 3.4 0" />
  </>
);

/** The topbar's bell: opens the alert settings; says whether alerts are on. */
export function AlertsButton({ enabled, open, onOpen }: { enabled: boolean; open: boolean; onOpen(): void }) {
  const label = enabled ? 'Alerts (on)' : 'Alerts (off)';
  return (
    <button
      type="button"
      className={`icon-button alerts-button${enabled ? ' alerts-on' : ''}`}
      aria-haspopup="dialog"
      aria-expanded={open}
      title={label}
      onClick={onOpen}
      data-testid="alerts-button"
    >
      <Icon size={16}>{BELL_GLYPH}</Icon>
      <span className="sr-only">{label}</span>
    </button>
  );
}

export interface AlertSettingsDialogProps {
  open: boolean;
  settings: Settings;
  inputs: Record<ThresholdKey, string>;
  inputErrors: Partial<Record<ThresholdKey, string>>;
  permission: NoticePermission;
  /** The last notice sent, for "did it work?": what and when, and whether it showed. */
  last: { title: string; body: string; at: number; shown: boolean } | null;
  problem: string | null;
  onClose(): void;
  onEnabled(on: boolean): void;
  onNoWorker(on: boolean): void;
  onInterval(ms: number): void;
  onThresholdOn(key: ThresholdKey, on: boolean): void;
  onThresholdText(key: ThresholdKey, text: string): void;
  onAllow(): void;
  onTest(): void;
}

function PermissionLine({ permission, onAllow }: { permission: NoticePermission; onAllow(): void }) {
  switch (permission) {
    case 'desktop':
      return <p className="muted">The desktop app shows the notifications.</p>;
    case 'granted':
      return <p className="muted">This browser allows notifications from this page.</p>;
    case 'default':
      return (
        <p className="alerts-permission">
          <span>This browser shows notifications only once you allow them.</span>
          <button type="button" className="btn btn-primary" onClick={onAllow}>
            Allow notifications
          </button>
        </p>
      );
    case 'denied':
      return (
        <p className="notice notice-warn" role="status">
          This browser blocks notifications from this page, so no alert can show. Allow them in the browser&apos;s site
          settings (the icon left of the address), then reopen this dialog.
        </p>
      );
    case 'unsupported':
      return (
        <p className="notice notice-warn" role="status">
          This browser has no desktop notifications: alerts cannot show here.
        </p>
      );
  }
}

/** The alert settings: the app's one modal Dialog (Tab stays inside, Escape closes, focus returns). */
export function AlertSettingsDialog(props: AlertSettingsDialogProps) {
  const { open, settings, inputs, inputErrors, permission, last, problem, onClose } = props;
  const titleId = useId();
  const base = useId();

  const canShow = permission === 'desktop' || permission === 'granted';
  return (
    <Dialog open={open} className="confirm-dialog alerts-dialog" labelledBy={titleId} onDismiss={onClose}>
      {open && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            onClose();
          }}
        >
          <h2 id={titleId}>Alerts</h2>
          <div className="dialog-body">
            <p>
              A desktop notification when a count reaches its threshold, or when no recovery worker is alive. At most
              one per alert in each interval; a count that stays high does not notify again.
            </p>
            <PermissionLine permission={permission} onAllow={props.onAllow} />
            <label className="check">
              <input
                type="checkbox"
                checked={settings.enabled}
                onChange={(e) => props.onEnabled(e.target.checked)}
                data-testid="alerts-enabled"
              />
              Notify me
            </label>
            <fieldset className="alerts-fields" disabled={!settings.enabled}>
              <legend className="sr-only">When to notify</legend>
              {THRESHOLDS.map(({ key, label, hint }) => {
                const on = settings[key] !== null;
                const error = inputErrors[key];
                const numberId = `${base}-${key}`;
                const errorId = `${numberId}-error`;
                return (
                  <div className="alerts-threshold" key={key}>
                    <label className="check">
                      <input
                        type="checkbox"
                        checked={on}
                        onChange={(e) => props.onThresholdOn(key, e.target.checked)}
                      />
                      {label}
                    </label>
                    <label className="alerts-number" htmlFor={numberId}>
                      <span className="muted">{hint}</span>
                      <input
                        id={numberId}
                        type="number"
                        inputMode="numeric"
                        min={1}
                        step={1}
                        value={inputs[key]}
                        disabled={!on}
                        aria-label={`${label}: threshold`}
                        aria-invalid={error ? true : undefined}
                        aria-describedby={error ? errorId : undefined}
                        onChange={(e) => props.onThresholdText(key, e.target.value)}
                      />
                    </label>
                    {error && (
                      <p id={errorId} className="alerts-error">
                        {error} The threshold stays at {settings[key]?.toLocaleString('en-US') ?? 'off'}.
                      </p>
                    )}
                  </div>
                );
              })}
              <label className="check">
                <input
                  type="checkbox"
                  checked={settings.noWorker}
                  onChange={(e) => props.onNoWorker(e.target.checked)}
                />
                No recovery worker alive
              </label>
              <label className="field alerts-interval" htmlFor={`${base}-interval`}>
                <span className="field-label">At most one notification per alert every</span>
                <select
                  id={`${base}-interval`}
                  value={settings.intervalMs}
                  onChange={(e) => props.onInterval(Number(e.target.value))}
                >
                  {ALERT_INTERVALS_MS.map((ms) => (
                    <option key={ms} value={ms}>
                      {intervalLabel(ms)}
                    </option>
                  ))}
                </select>
              </label>
            </fieldset>
            {problem && (
              <p className="notice notice-warn" role="alert">
                {problem}
              </p>
            )}
            {last && (
              <p className="muted alerts-last" data-testid="alerts-last">
                Last notification{last.shown ? '' : ' (not shown)'}, {new Date(last.at).toLocaleTimeString()}:{' '}
                {last.title} — {last.body}
              </p>
            )}
          </div>
          <div className="dialog-actions">
            <button type="button" className="btn" onClick={props.onTest} disabled={!canShow}>
              Send a test notification
            </button>
            {/* Every change applies at once: Done only closes, so it is not drawn as a confirmation. */}
            <button type="submit" className="btn">
              Done
            </button>
          </div>
        </form>
      )}
    </Dialog>
  );
}
