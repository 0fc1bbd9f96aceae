// Alerts: desktop notifications when stuck counts cross the thresholds a person set, or when no
// recovery worker is alive. The decision is pure (here); the renderer evaluates it on every
// counts/liveness update and shows the notice (Electron: main's Notification over IPC_NOTIFY;
// browser mode: the Notification API). TODO(issue 12, helper alerts): the rules and settings.

/** What an alert is about; one notification per condition per interval at most. */
export type AlertCondition = 'stuck-turns' | 'stuck-outbox' | 'dead-letters' | 'no-worker';

/** What the renderer asks a transport to show. Plain text only (never HTML). */
export interface AlertNotice {
  condition: AlertCondition;
  title: string;
  body: string;
}
