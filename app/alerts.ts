import { Notification } from 'electron';
import type { AlertNotice } from '../shared/alerts';

/**
 * Main's desktop notifications (the renderer asks over IPC_NOTIFY; ipc-guard checked the
 * notice). Main's Notification needs no session permission: the renderer's stay deny-all.
 */
export class Alerts {
  // Electron drops a notification's click handler once the object is garbage-collected: keep
  // each until it is closed (or clicked).
  private readonly shown = new Set<Notification>();

  constructor(private readonly onClick: () => void) {}

  /** Shows the notice; false when this desktop has no notifications. */
  show(notice: AlertNotice): boolean {
    if (!Notification.isSupported()) return false;
    const n = new Notification({ title: notice.title, body: notice.body, silent: false });
    this.shown.add(n);
    const forget = (): void => void this.shown.delete(n);
    n.on('click', () => {
      forget();
      this.onClick();
    });
    n.on('close', forget);
    n.show();
    return true;
  }
}
