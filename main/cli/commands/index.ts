import type { Command } from '../command';
import { checkCommand } from './check';
import { demoCommand } from './demo';
import { importLegacyCommand } from './import-legacy';
import { auditCommand } from './audit';
import { outboxCommand } from './outbox';
import { showCommand } from './show';
import { statusCommand } from './status';
import { turnsCommand } from './turns';
import { abortCommand, pruneCommand, replayCommand, resendCommand, retryCommand, terminateCommand } from './operator';
import { bulkCommand } from './bulk';
import { errorsCommand } from './errors';
import { channelsCommand } from './channels';
import { exportCommand } from './export';
import { recoverCommand } from './recover';
import { serveCommand } from './serve';

/**
 * Every command of `lifecycle-desk`, in the order `help` lists them. To add one, write it in
 * its own file under commands/ (a `Command`: name, usage, flags, prepare) and list it here;
 * the runner adds --db/--json/--help, opens and closes the database, and maps errors to exit
 * codes. `serve` runs the browser mode of main/http (its own engine thread opens the database).
 */
export const COMMANDS: readonly Command[] = [
  statusCommand,
  turnsCommand,
  outboxCommand,
  showCommand,
  errorsCommand,
  channelsCommand,
  auditCommand,
  exportCommand,
  abortCommand,
  replayCommand,
  retryCommand,
  resendCommand,
  terminateCommand,
  bulkCommand,
  pruneCommand,
  recoverCommand,
  importLegacyCommand,
  demoCommand,
  serveCommand,
  checkCommand,
];

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}
