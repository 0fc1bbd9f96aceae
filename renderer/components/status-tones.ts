// One colour per status, shared by badges (CSS classes tone-*) and charts (hex, readable on
// both themes).

export type Tone = 'blue' | 'violet' | 'cyan' | 'amber' | 'green' | 'red' | 'gray' | 'brown';

export const STATUS_TONE: Record<string, Tone> = {
  accepted: 'blue',
  running: 'violet',
  delivery_pending: 'cyan',
  failed_retryable: 'amber',
  delivered: 'green',
  failed_terminal: 'red',
  aborted: 'gray',
  queued: 'blue',
  expired: 'brown',
};

export const TONE_HEX: Record<Tone, string> = {
  blue: '#3b82f6',
  violet: '#8b5cf6',
  cyan: '#06b6d4',
  amber: '#f59e0b',
  green: '#22c55e',
  red: '#ef4444',
  gray: '#94a3b8',
  brown: '#b45309',
};

export function toneOf(status: string): Tone {
  return STATUS_TONE[status] ?? 'gray';
}
