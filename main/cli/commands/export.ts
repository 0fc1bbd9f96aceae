import { EXPORT_FORMATS, type ExportRequest } from '../../../shared/api';
import { exportChunks, exportFilename, parseExport, type ExportCount } from '../../api/export';
import { writeExportFile } from '../../api/export-write';
import { booleanFlag, enumFlag, positionals, stringFlag } from '../args';
import type { Command } from '../command';
import { UsageError } from '../errors';
import { ALL_FILTER_FLAGS, filterFor, type ListName } from '../list-flags';
import { cell, plural } from '../output';

// `export`: every row of a list matching the filters, as CSV or JSON, streamed page by page to a
// file (written whole or not at all) or to stdout (a slow pipe paces the reads).

export const exportCommand: Command = {
  name: 'export',
  summary: 'write every turn, outbox row or audit entry matching the filters as CSV or JSON',
  usage: 'export turns|outbox|audit [filters] [--format csv|json] [--order asc|desc] [--out FILE]',
  details: [
    "filters: those of 'turns', 'outbox' or 'audit' (see their help)",
    "--format F     csv (default; RFC 4180, cells that look like formulas start with ') or json (one array)",
    '--order O      turns and outbox: asc (default) or desc by time; the audit is newest first',
    '--out FILE     write FILE (through FILE.partial, renamed once complete); default: stdout',
    'with --json and --out, prints what was written as one JSON document; without --out the export is stdout',
  ],
  flags: { ...ALL_FILTER_FLAGS, format: 'string', order: 'string', out: 'string' },
  prepare(args) {
    const [list] = positionals(args, ['list'], 'export');
    if (list !== 'turns' && list !== 'outbox' && list !== 'audit') {
      throw new UsageError(`export turns, outbox or audit, not "${list!}"`, 'export');
    }
    const format = enumFlag(args, 'format', EXPORT_FORMATS, 'export') ?? 'csv';
    const order = enumFlag(args, 'order', ['asc', 'desc'] as const, 'export');
    if (order && list === 'audit') throw new UsageError('the audit is exported newest first: no --order', 'export');
    const out = stringFlag(args, 'out');
    if (out !== undefined && out.trim() === '') throw new UsageError('--out must not be empty', 'export');
    const json = booleanFlag(args, 'json');
    if (json && out === undefined && format !== 'json') {
      throw new UsageError('--json without --out writes the export itself to stdout: use --format json', 'export');
    }
    const raw = { list, format, filter: filterFor(list as ListName, args, 'export'), ...(order ? { order } : {}) };
    const parsed = parseExport(raw);
    if (!parsed.ok) throw new UsageError(parsed.message.replace(/^export: /, ''), 'export');
    const request: ExportRequest = parsed.request;
    return async (ctx) => {
      const store = await ctx.open();
      const count: ExportCount = { rows: 0 };
      const chunks = exportChunks(store, request, count);
      if (out === undefined) {
        for await (const chunk of chunks) await ctx.write(chunk);
        return;
      }
      await writeExportFile(chunks, out);
      ctx.out.emit(
        { list, format, rows: count.rows, savedTo: out, suggestedName: exportFilename(request, Date.now()) },
        () =>
          `wrote ${plural(count.rows, list === 'audit' ? 'entry' : 'row', list === 'audit' ? 'entries' : 'rows')} to ${cell(out)}`,
      );
    };
  },
};
