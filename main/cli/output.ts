import { formatDuration } from '../../shared/stuck';

// Everything the CLI prints goes through here: one JSON document with --json, text otherwise.
// Text from the database (payloads, errors, ids) is shown as text, never interpreted: control
// characters are escaped so a message cannot move the cursor or recolour the terminal.

export interface Output {
  readonly json: boolean;
  /** Prints `doc` as the one JSON document (with --json) or `text()` (without). */
  emit(doc: unknown, text: () => string): void;
}

export function createOutput(json: boolean, write: (s: string) => void = (s) => process.stdout.write(s)): Output {
  let emitted = false;
  return {
    json,
    emit(doc, text) {
      if (emitted) throw new Error('a command must print exactly one result');
      emitted = true;
      const body = json ? JSON.stringify(doc, null, 2) : text();
      write(body.endsWith('\n') ? body : `${body}\n`);
    },
  };
}

// C0 controls except tab and newline, DEL, C1 controls, and bidi overrides/isolates.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** Multi-line text from the database, safe to print to a terminal. */
export function safeText(s: string): string {
  return s.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** One table cell: safe, on one line. */
export function cell(v: string | number | null | undefined): string {
  if (v === null || v === undefined || v === '') return '-';
  return safeText(String(v)).replace(/\t/g, ' ').replace(/\r?\n/g, '\\n');
}

/** A text table: header row, columns padded to their widest cell; the last column is not padded. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** Label/value lines, labels aligned. */
export function fields(pairs: readonly (readonly [string, string])[]): string {
  const width = Math.max(0, ...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}

export function age(at: number, now: number): string {
  return formatDuration(now - at);
}

export function isoTime(at: number | null): string {
  return at === null ? '-' : new Date(at).toISOString();
}

/** An absolute time with how far it is from now ("… (3 min ago)" / "… (in 5 s)"). */
export function when(at: number | null, now: number): string {
  if (at === null) return '-';
  const rel = at <= now ? `${formatDuration(now - at)} ago` : `in ${formatDuration(at - now)}`;
  return `${isoTime(at)} (${rel})`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
