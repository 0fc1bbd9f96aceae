import type { Command } from './command';
import { COMMANDS } from './commands';

const GLOBAL = [
  '--db PATH    the database (default: $LIFECYCLE_DESK_DB, else message-lifecycle.db in your data directory)',
  '--json       print exactly one JSON document on stdout; errors as JSON on stderr',
  '--read-only  open the database so that nothing can be written (actions are refused)',
  '--help       this help',
];

export function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'usage: lifecycle-desk <command> [--db PATH] [--json] [--read-only]',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'options:',
    ...GLOBAL.map((l) => `  ${l}`),
    '',
    'exit codes: 0 done, 1 failed or refused, 2 usage error',
    "run 'lifecycle-desk help <command>' for a command's options",
  ].join('\n');
}

export function commandUsage(c: Command): string {
  return [
    `usage: lifecycle-desk ${c.usage} [--db PATH] [--json] [--read-only]`,
    '',
    c.summary,
    ...(c.details?.length ? ['', ...c.details.map((l) => `  ${l}`)] : []),
  ].join('\n');
}
