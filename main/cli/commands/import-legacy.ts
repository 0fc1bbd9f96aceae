import fs from 'node:fs';
import type { ImportResult } from '../../lifecycle/legacy-import';
import { positionals } from '../args';
import type { Command } from '../command';
import { CliError } from '../errors';
import { cell, fields, table } from '../output';
import { createProgress } from '../progress';

export const importLegacyCommand: Command = {
  name: 'import-legacy',
  summary: 'import a legacy file queue (one JSON file per pending delivery) into the outbox',
  usage: 'import-legacy <dir>',
  details: [
    'Idempotent: rows are committed first, then each imported file is moved to <dir>/imported/.',
    'Files that cannot be read or have no channel stay where they are and are listed.',
  ],
  flags: {},
  prepare(args) {
    const [dir] = positionals(args, ['dir'], 'import-legacy');
    return (ctx) => {
      // Checked before the database is opened (and possibly created).
      let isDir = false;
      try {
        isDir = fs.statSync(dir!).isDirectory();
      } catch {
        // reported below
      }
      if (!isDir) throw new CliError('not_found', `${dir!} is not a directory`);
      const lc = ctx.openSqlite('import-legacy', { create: true });
      const progress = createProgress('importing');
      let result: ImportResult;
      try {
        result = lc.importLegacy(dir!, (p) => progress.update(p.done, p.total));
      } finally {
        progress.finish();
      }
      ctx.out.emit(result, () => {
        const lines = [
          fields([
            ['imported', String(result.imported)],
            ['already present', String(result.alreadyPresent)],
            ['failed', String(result.failed.length)],
            ['moved to', result.movedTo],
          ]),
        ];
        if (result.failed.length > 0) {
          lines.push(
            '',
            table(
              ['FILE', 'ERROR'],
              result.failed.map((f) => [cell(f.file), cell(f.error)]),
            ),
          );
        }
        return lines.join('\n');
      });
    };
  },
};
