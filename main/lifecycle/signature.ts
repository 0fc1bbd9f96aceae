// The normalized signature of an error (SPEC-free, issue 11's "error groups"): the same text on
// both backends, built in plain SQL so that rows any writer failed are grouped without our code
// running (SQLite: a generated column or trigger; PostgreSQL: likewise). ASCII lower case, each run of
// digits one '#' (up to 16 digits; longer runs keep a second '#'), the text between the first pair
// of double quotes '"…"', trimmed, at most
// 200 characters. Ids made of hex letters keep their letters: SQL has no regex in SQLite.

export type SqlDialect = 'sqlite' | 'pg';

/** How long a signature may be. */
export const SIGNATURE_MAX = 200;

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

/** The SQL expression of the signature of the text expression `x` (NULL stays NULL). */
export function errorSignatureSql(x: string, dialect: SqlDialect): string {
  const find = (hay: string, needle: string): string =>
    dialect === 'sqlite' ? `instr(${hay}, ${needle})` : `strpos(${hay}, ${needle})`;
  // ASCII only, as SQLite's lower() does without ICU (PostgreSQL's would fold other letters too).
  let e = dialect === 'sqlite' ? `lower(${x})` : `translate(${x}, '${UPPER}', '${UPPER.toLowerCase()}')`;
  for (const d of DIGITS) e = `replace(${e}, '${d}', '#')`;
  for (let i = 0; i < 4; i++) e = `replace(${e}, '##', '#')`;
  e = stripQuoted(e, find);
  return `substr(trim(${e}), 1, ${SIGNATURE_MAX})`;
}

/** The text between the first pair of double quotes replaced by '…'. */
function stripQuoted(e: string, find: (hay: string, needle: string) => string): string {
  const q = `'"'`;
  const open = find(e, q);
  const rest = `substr(${e}, ${open} + 1)`;
  const close = find(rest, q);
  return `CASE WHEN ${open} > 0 AND ${close} > 1 THEN substr(${e}, 1, ${open}) || '…' || substr(${rest}, ${close}) ELSE ${e} END`;
}

/** The same normalization in JavaScript, for tests and for labels of what a group matches. */
export function errorSignature(text: string | null): string | null {
  if (text === null) return null;
  let e = text.replace(/[A-Z]/g, (c) => c.toLowerCase()).replace(/[0-9]/g, '#');
  for (let i = 0; i < 4; i++) e = e.replaceAll('##', '#');
  const open = e.indexOf('"');
  const close = open >= 0 ? e.indexOf('"', open + 1) : -1;
  if (open >= 0 && close > open + 1) e = `${e.slice(0, open + 1)}…${e.slice(close)}`;
  // SQL's trim() takes spaces only.
  return e.replace(/^ +| +$/g, '').slice(0, SIGNATURE_MAX);
}
