import { create } from 'zustand';
import {
  DEFAULT_ALERT_SETTINGS,
  THRESHOLD_MAX,
  emptyAlertMemory,
  evaluate,
  mergeFired,
  parseAlertSettings,
  testNotice,
  type AlertCondition,
  type AlertMemory,
  type AlertNotice,
  type AlertSettings,
} from '../../shared/alerts';
import { LIVENESS_POLL_MS, useLivenessStore } from './liveness';
import { useStatusStore } from './status';

// Alerts: the person's settings (localStorage), the rules of shared/alerts.ts run on every
// counts and liveness update, and each notice shown by the desktop app (main's Notification
// over the preload) or, in a browser, by the Notification API once the person allowed it.

export type ThresholdKey = 'stuckTurns' | 'stuckOutbox' | 'deadLetters';
export const THRESHOLD_KEYS: readonly ThresholdKey[] = ['stuckTurns', 'stuckOutbox', 'deadLetters'];

/** Who shows notices here, and may it: the desktop app always may; a browser asks the person. */
export type NoticePermission = 'desktop' | 'granted' | 'default' | 'denied' | 'unsupported';

export interface LastNotice {
  notice: AlertNotice;
  at: number;
  /** False when the desktop or the browser could not show it (said in the settings). */
  shown: boolean;
}

export interface AlertsState {
  settings: AlertSettings;
  /** What each threshold field shows (a field being typed in may not be a number yet). */
  inputs: Record<ThresholdKey, string>;
  /** Why a field's text is not used, per field. */
  inputErrors: Partial<Record<ThresholdKey, string>>;
  permission: NoticePermission;
  open: boolean;
  last: LastNotice | null;
  /** A notice that could not be shown, or a permission prompt that failed, in words. */
  problem: string | null;
  setOpen(open: boolean): void;
  setEnabled(enabled: boolean): void;
  setNoWorker(on: boolean): void;
  setIntervalMs(ms: number): void;
  setThresholdOn(key: ThresholdKey, on: boolean): void;
  setThresholdText(key: ThresholdKey, text: string): void;
  /** Asks the browser (a click's handler: browsers prompt only on a person's gesture). */
  requestPermission(): Promise<void>;
  sendTest(): Promise<void>;
}

const SETTINGS_KEY = 'lifecycle-desk.alerts';
/** When each condition last fired, shared by the tabs of one browser (and kept over reloads). */
const FIRED_KEY = 'lifecycle-desk.alerts.fired';

function readJson(key: string): unknown {
  try {
    const raw = window.localStorage.getItem(key);
    return raw ? (JSON.parse(raw) as unknown) : null;
  } catch {
    return null;
  }
}

function writeJson(key: string, value: unknown): void {
  try {
    window.localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // storage disabled or full: the settings hold for this page only
  }
}

function browserPermission(): NoticePermission {
  if (window.lifecycleDesk) return 'desktop';
  if (typeof window.Notification !== 'function') return 'unsupported';
  return window.Notification.permission;
}

function inputsOf(s: AlertSettings): Record<ThresholdKey, string> {
  const text = (k: ThresholdKey): string => String(s[k] ?? DEFAULT_ALERT_SETTINGS[k] ?? 10);
  return { stuckTurns: text('stuckTurns'), stuckOutbox: text('stuckOutbox'), deadLetters: text('deadLetters') };
}

/** A threshold typed by a person: a whole number from 1, or why not. */
export function parseThreshold(text: string): { ok: true; value: number } | { ok: false; message: string } {
  const t = text.trim();
  if (!/^\d+$/.test(t)) return { ok: false, message: 'Enter a whole number from 1.' };
  const value = Number(t);
  if (value < 1 || value > THRESHOLD_MAX) {
    return { ok: false, message: `Enter a whole number from 1 to ${THRESHOLD_MAX.toLocaleString('en-US')}.` };
  }
  return { ok: true, value };
}

/** The open database in words, for the notices: its file name (a URL's last part). */
function sourceName(): string {
  const path = useStatusStore.getState().info?.dbPath;
  const name = path?.split(/[\\/]/).filter(Boolean).pop();
  return name || 'the open database';
}

const initial = parseAlertSettings(readJson(SETTINGS_KEY));

export const useAlertsStore = create<AlertsState>()((set, get) => {
  const save = (patch: Partial<AlertSettings>): void => {
    const settings = { ...get().settings, ...patch };
    writeJson(SETTINGS_KEY, settings);
    set({ settings });
    check();
  };
  return {
    settings: initial,
    inputs: inputsOf(initial),
    inputErrors: {},
    permission: browserPermission(),
    open: false,
    last: null,
    problem: null,
    setOpen(open) {
      set({ open, permission: browserPermission() });
    },
    setEnabled(enabled) {
      save({ enabled });
    },
    setNoWorker(noWorker) {
      save({ noWorker });
    },
    setIntervalMs(intervalMs) {
      save({ intervalMs });
    },
    setThresholdOn(key, on) {
      if (!on) {
        save({ [key]: null });
        return;
      }
      const parsed = parseThreshold(get().inputs[key]);
      const value = parsed.ok ? parsed.value : (DEFAULT_ALERT_SETTINGS[key] ?? 10);
      set({
        inputs: { ...get().inputs, [key]: String(value) },
        inputErrors: { ...get().inputErrors, [key]: undefined },
      });
      save({ [key]: value });
    },
    setThresholdText(key, text) {
      const parsed = parseThreshold(text);
      set({
        inputs: { ...get().inputs, [key]: text },
        inputErrors: { ...get().inputErrors, [key]: parsed.ok ? undefined : parsed.message },
      });
      // An unusable text keeps the threshold in force: nothing is lost while a person types.
      if (parsed.ok && get().settings[key] !== null) save({ [key]: parsed.value });
    },
    async requestPermission() {
      if (typeof window.Notification !== 'function') {
        set({ permission: 'unsupported' });
        return;
      }
      try {
        const answer = await window.Notification.requestPermission();
        set({ permission: answer, problem: null });
      } catch (err) {
        set({ permission: browserPermission(), problem: `The browser did not ask: ${(err as Error).message}` });
      }
      check();
    },
    async sendTest() {
      await show(testNotice(sourceName()));
    },
  };
});

/** Shows one notice where this page runs; records what happened for the settings. */
async function show(notice: AlertNotice): Promise<boolean> {
  let shown = false;
  let problem: string | null = null;
  const bridge = window.lifecycleDesk;
  if (bridge) {
    if (!bridge.notify) problem = 'This version of the desktop app cannot show notifications.';
    else {
      const result = await bridge.notify(notice).catch((err: unknown) => ({
        ok: false as const,
        error: { code: 'internal' as const, message: (err as Error).message },
      }));
      shown = result.ok && result.value;
      if (!result.ok) problem = `The notification was not shown: ${result.error.message}`;
      else if (!result.value) problem = 'This desktop does not support notifications.';
    }
  } else if (browserPermission() !== 'granted') {
    problem = 'The browser does not allow notifications for this page: use "Allow notifications".';
  } else {
    try {
      // The tag makes a second tab's copy of the same alert replace the first, not stack on it.
      new window.Notification(notice.title, { body: notice.body, tag: notice.condition });
      shown = true;
    } catch (err) {
      problem = `The notification was not shown: ${(err as Error).message}`;
    }
  }
  useAlertsStore.setState({ last: { notice, at: Date.now(), shown }, problem });
  return shown;
}

let memory: AlertMemory = emptyAlertMemory();

function readFired(): Partial<Record<AlertCondition, number | null>> {
  const v = readJson(FIRED_KEY);
  return typeof v === 'object' && v !== null ? (v as Partial<Record<AlertCondition, number | null>>) : {};
}

/**
 * Runs the rules on what the stores hold now. A browser page that may not show notices is not
 * watching (so allowing them later starts afresh instead of having spent the interval on
 * nothing shown).
 */
function check(): void {
  // Every notice names the database: wait for getInfo rather than say "the open database".
  if (!useStatusStore.getState().info) return;
  const { settings, permission } = useAlertsStore.getState();
  const canShow = permission === 'desktop' || permission === 'granted';
  const effective = canShow ? settings : { ...settings, enabled: false };
  const before = mergeFired(memory, readFired());
  const result = evaluate(
    effective,
    {
      counts: useStatusStore.getState().counts,
      liveness: useLivenessStore.getState().liveness,
      source: sourceName(),
    },
    before,
    Date.now(),
  );
  memory = result.memory;
  if (result.notices.length === 0) return;
  const fired: Partial<Record<AlertCondition, number | null>> = {};
  for (const c of Object.keys(memory) as AlertCondition[]) fired[c] = memory[c].firedAt;
  writeJson(FIRED_KEY, fired);
  for (const notice of result.notices) void show(notice);
}

useStatusStore.subscribe((s, prev) => {
  if (s.counts !== prev.counts || s.info !== prev.info) check();
});
useLivenessStore.subscribe((s, prev) => {
  if (s.liveness !== prev.liveness) check();
});

// A permission changed in the browser's own settings (site info) reaches the page here.
if (!window.lifecycleDesk && typeof navigator !== 'undefined' && navigator.permissions) {
  navigator.permissions
    .query({ name: 'notifications' })
    .then((status) => {
      status.onchange = () => {
        useAlertsStore.setState({ permission: browserPermission() });
        check();
      };
    })
    .catch(() => undefined);
}

// The liveness store asks only while the page is visible; a "no worker" alert matters most
// while nobody looks, so it keeps asking then (a hidden tab's timers run at most once a minute).
setInterval(() => {
  const { settings } = useAlertsStore.getState();
  if (settings.enabled && settings.noWorker && document.visibilityState === 'hidden') {
    void useLivenessStore.getState().load();
  }
}, LIVENESS_POLL_MS);

// Another tab of this browser changed the settings: this one follows (one person, one set).
window.addEventListener('storage', (e) => {
  if (e.key !== SETTINGS_KEY) return;
  const settings = parseAlertSettings(readJson(SETTINGS_KEY));
  useAlertsStore.setState({ settings, inputs: inputsOf(settings), inputErrors: {} });
  check();
});
