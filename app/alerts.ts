import { Notification } from 'electron';
import type { AlertNotice } from '../shared/alerts';

/**
 * Main's desktop notifications (the renderer asks over IPC_NOTIFY; ipc-guard checked the
 * notice). Main's Notification needs no session permission: the renderer's stay deny-all.
 */
/** At most this many notifications a minute, whatever the renderer asks. */
export const BURST = 10;

export class Alerts {
  // Electron drops a notification's click handler once the object is garbage-collected: keep
  // each until it is closed (or clicked).
  private readonly shown = new Set<Notification>();

  private recent: number[] = [];

  constructor(
    private readonly onClick: () => void,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Shows the notice; false when this desktop has no notifications, or when the renderer asked
   * for more than BURST in a minute (its rules send one per condition per interval: more means
   * something is wrong, and a desktop flooded with notifications helps nobody).
   */
  show(notice: AlertNotice): boolean {
    if (!Notification.isSupported()) return false;
    const now = this.now();
    this.recent = this.recent.filter((at) => now - at < 60_000);
    if (this.recent.length >= BURST) return false;
    this.recent.push(now);
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
