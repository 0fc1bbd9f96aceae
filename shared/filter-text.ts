import { plainStatus } from './triage';

// A list's filter in words: what the bulk dialog says before it runs, what the audit entry of the
// job says afterwards and what the CLI prints for a dry run — the same words everywhere.

type Filter = Readonly<Record<string, unknown>>;

const NOUN = { turns: 'turns', outbox: 'outbox rows', audit: 'audit entries' } as const;

/** A time bound as a person reads it: UTC to the minute (the UI's local time would differ per viewer). */
function when(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** Plain words may hold a comma ("failed, will be retried"): then the list is set apart. */
function statuses(list: string[]): string {
  const words = list.map(plainStatus).join(' or ');
  return words.includes(',') ? `(${words})` : words;
}

const quoted = (v: unknown): string => JSON.stringify(String(v));

/** One phrase per key, in a fixed order so that the same filter always reads the same. */
const PHRASES: [key: string, say: (v: unknown) => string][] = [
  ['status', (v) => `status ${statuses(v as string[])}`],
  ['dead', (v) => (v ? 'failed for good (needs attention)' : 'not failed for good')],
  ['stuck', (v) => (v ? 'stuck' : 'not stuck')],
  ['channel', (v) => `channel ${String(v)}`],
  ['kind', (v) => `kind ${String(v)}`],
  ['sessionKey', (v) => `session ${quoted(v)}`],
  ['turnId', (v) => `of turn ${String(v)}`],
  ['errorClass', (v) => `${String(v)} errors`],
  ['signature', (v) => `error ${quoted(v)}`],
  ['search', (v) => `matching ${quoted(v)}`],
  ['by', (v) => `by ${quoted(v)}`],
  ['action', (v) => `action ${String(v)}`],
  ['since', (v) => `from ${when(v as number)}`],
  ['until', (v) => `until ${when(v as number)}`],
];

/** E.g. `status failed, will be retried, channel telegram, error "403 bot was blocked"`; "all turns" when empty. */
export function filterText(list: keyof typeof NOUN, filter: Filter): string {
  const parts: string[] = [];
  for (const [key, say] of PHRASES) {
    const v = filter[key];
    if (v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0)) continue;
    parts.push(say(v));
  }
  return parts.length ? parts.join(', ') : `all ${NOUN[list]}`;
}
