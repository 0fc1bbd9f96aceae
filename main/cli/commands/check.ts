import fs from 'node:fs';
import Database from 'better-sqlite3';
import { checkIntegrity } from '../../lifecycle/integrity';
import { positionals } from '../args';
import type { Command } from '../command';
import { CliError } from '../errors';
import { isPostgresUrl } from '../../store/location';

// Checks the file without opening it through the core: nothing is migrated or written, so it
// can look at a file the core refuses or a gateway owns.

interface CountsCheck {
  entity: string;
  status: string;
  kept: number;
  actual: number;
}

/** The trigger-kept counts against GROUP BY status (a full read of both tables' status index). */
function countMismatches(file: string): CountsCheck[] | null {
  const db = new Database(file, { readonly: true, fileMustExist: true, timeout: 5_000 });
  try {
    const has = (name: string): boolean =>
      db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
    if (!has('lifecycle_counts') || !has('message_turns') || !has('message_outbox')) return null;
    const rows = db
      .prepare(
        `WITH actual AS (
           SELECT 'turn' AS entity, status, count(*) AS n FROM message_turns GROUP BY status
           UNION ALL SELECT 'outbox', status, count(*) FROM message_outbox GROUP BY status),
         keys AS (SELECT entity, status FROM actual UNION SELECT entity, status FROM lifecycle_counts)
         SELECT k.entity, k.status, coalesce(c.n, 0) AS kept, coalesce(a.n, 0) AS actual FROM keys k
         LEFT JOIN lifecycle_counts c ON c.entity = k.entity AND c.status = k.status
         LEFT JOIN actual a ON a.entity = k.entity AND a.status = k.status`,
      )
      .all() as CountsCheck[];
    return rows.filter((r) => r.kept !== r.actual);
  } finally {
    db.close();
  }
}

export const checkCommand: Command = {
  name: 'check',
  summary: 'check the file for damage and the kept counts against the rows; changes nothing',
  usage: 'check',
  details: [
    'Runs PRAGMA quick_check on every table (damage past the header shows here), then compares',
    'the counts the dashboard shows with GROUP BY status. Opens the file read-only. Exit 1 on',
    'damage or a count that does not match.',
  ],
  flags: {},
  prepare(args) {
    positionals(args, [], 'check');
    return (ctx) => {
      if (isPostgresUrl(ctx.target)) {
        throw new CliError(
          'invalid_argument',
          `check works on a SQLite file only; PostgreSQL checks its own data (${ctx.dbPath})`,
        );
      }
      if (!fs.existsSync(ctx.dbPath)) throw new CliError('not_found', `no database at ${ctx.dbPath}`);
      const integrity = checkIntegrity(ctx.dbPath);
      if (integrity.state !== 'ok') {
        throw new CliError(
          integrity.state === 'damaged' ? 'corrupt' : 'cannot_open',
          `${ctx.dbPath}: ${integrity.message ?? integrity.state}`,
        );
      }
      const skewed = countMismatches(ctx.dbPath);
      if (skewed && skewed.length > 0) {
        const list = skewed.map((r) => `${r.entity} ${r.status}: kept ${r.kept}, actual ${r.actual}`).join('; ');
        throw new CliError('counts_skewed', `${ctx.dbPath}: the kept counts differ from the rows (${list})`);
      }
      ctx.out.emit(
        { dbPath: ctx.dbPath, integrity, counts: skewed === null ? 'not kept in this file' : 'match' },
        () =>
          `${ctx.dbPath}: ok (${integrity.total} tables checked; counts ${skewed === null ? 'not kept in this file (schema before version 2)' : 'match the rows'})`,
      );
    };
  },
};
