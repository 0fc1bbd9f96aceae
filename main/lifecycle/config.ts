import { DEFAULT_ATTENTION_WINDOW_MS } from '../../shared/triage';
// Defaults from ../shared/SPEC.md ("Defaults (configurable)").

export interface LifecycleConfig {
  outboxMaxAttempts: number;
  /** Backoff after attempt 1, 2, 3, 4+ (the last entry repeats). */
  outboxBackoffMs: readonly number[];
  outboxMaxAgeMs: number;
  /** On expiry: mark `expired`, or give the row one last delivery attempt. */
  outboxExpiryMode: 'expire' | 'last-attempt';
  turnMaxAttempts: number;
  turnBackoffMs: number;
  turnMaxAgeMs: number;
  retentionMs: number;
  workerTickMs: number;
  maxTurnsPerPass: number;
  /** Bound on outbox rows replayed per pass (SPEC: every pass reads a bounded batch). */
  maxRowsPerPass: number;
  /** How long a live process holds a turn or row before another worker may take it over. */
  liveLeaseMs: number;
  /** How long a worker may run one deliver or replay handler before giving up on it. */
  handlerTimeoutMs: number;
  /** Rows touched by one expiry/prune statement batch, so no pass holds the write lock long. */
  maintenanceBatch: number;
  busyTimeoutMs: number;
  /** How long failed-for-good work counts as needing attention (status counts, the `dead` filter). */
  attentionWindowMs: number;
}

export const DEFAULT_CONFIG: LifecycleConfig = {
  outboxMaxAttempts: 5,
  outboxBackoffMs: [5_000, 25_000, 120_000, 600_000],
  outboxMaxAgeMs: 30 * 60_000,
  outboxExpiryMode: 'expire',
  turnMaxAttempts: 3,
  turnBackoffMs: 15_000,
  turnMaxAgeMs: 24 * 3_600_000,
  retentionMs: 48 * 3_600_000,
  workerTickMs: 5_000,
  maxTurnsPerPass: 20,
  maxRowsPerPass: 100,
  liveLeaseMs: 5 * 60_000,
  handlerTimeoutMs: 60_000,
  maintenanceBatch: 2_000,
  busyTimeoutMs: 5_000,
  attentionWindowMs: DEFAULT_ATTENTION_WINDOW_MS,
};

export function resolveConfig(partial: Partial<LifecycleConfig> = {}): LifecycleConfig {
  const config = { ...DEFAULT_CONFIG, ...partial };
  if (config.busyTimeoutMs < 5_000) throw new RangeError('busyTimeoutMs must be at least 5000 (SPEC)');
  if (config.outboxBackoffMs.length === 0) throw new RangeError('outboxBackoffMs needs at least one entry');
  for (const knob of ['liveLeaseMs', 'handlerTimeoutMs'] as const) {
    if (!Number.isFinite(config[knob]) || config[knob] <= 0)
      throw new RangeError(`${knob} must be a positive number of ms`);
  }
  // A worker holds a row for handlerTimeoutMs + liveLeaseMs: the lease is its margin to record the
  // outcome, which may wait busy_timeout for the lock. A shorter one lets another worker take a
  // row whose send already happened, and send it again.
  if (config.liveLeaseMs < config.busyTimeoutMs) {
    throw new RangeError(
      `liveLeaseMs (${config.liveLeaseMs}) must be at least busyTimeoutMs (${config.busyTimeoutMs}): a claim must outlast the wait to record its outcome`,
    );
  }
  return config;
}

export function outboxBackoff(config: LifecycleConfig, attempt: number): number {
  const table = config.outboxBackoffMs;
  return table[Math.min(Math.max(attempt, 1), table.length) - 1] ?? 0;
}
