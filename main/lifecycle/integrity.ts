import Database from 'better-sqlite3';
import type { IntegrityState } from '../../shared/api';

/**
 * Checks a file for damage past its header (garbage in data pages), table by table with
 * PRAGMA quick_check(table) so a large file reports progress. Opens its own read-only
 * connection: it writes nothing, and can run beside the app's connection (in another thread).
 */
export function checkIntegrity(file: string, onProgress?: (state: IntegrityState) => void): IntegrityState {
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true, timeout: 5_000 });
  } catch (err) {
    return {
      state: 'unavailable',
      checked: 0,
      total: 0,
      message: `cannot open ${file} to check it: ${(err as Error).message}`,
    };
  }
  try {
    const tables = (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]
    ).map((r) => r.name);
    const problems: string[] = [];
    const state = (s: IntegrityState['state'], checked: number): IntegrityState => ({
      state: s,
      checked,
      total: tables.length,
      message: problems.length ? problems.slice(0, 5).join('; ') : null,
    });
    tables.forEach((table, i) => {
      onProgress?.(state('checking', i));
      const rows = db
        .prepare(`PRAGMA quick_check(${quoteIdent(table)})`)
        .pluck()
        .all() as string[];
      // "*** in database main ***" heads SQLite's report: the table name says more.
      for (const r of rows) {
        const text = r.replace(/^\*\*\* in database \w+ \*\*\*\s*/, '').replace(/\s*\n\s*/g, '; ');
        if (r !== 'ok') problems.push(`${table}: ${text}`);
      }
    });
    return state(problems.length ? 'damaged' : 'ok', tables.length);
  } catch (err) {
    // A page too damaged to read fails the check itself: that is damage too.
    return { state: 'damaged', checked: 0, total: 0, message: (err as Error).message };
  } finally {
    db.close();
  }
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
