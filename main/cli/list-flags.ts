import type { ParsedArgs } from './args';
import { UsageError } from './errors';
import {
  AUDIT_FILTER_FLAGS,
  OUTBOX_FILTER_FLAGS,
  TURN_FILTER_FLAGS,
  auditFilterOf,
  outboxFilterOf,
  turnFilterOf,
} from './filters';

// `export` and `bulk` take the filters of whichever list they work on: every list's flags are
// declared, and a flag the chosen list has not is a usage error that names the list.

export type ListName = 'turns' | 'outbox' | 'audit';

const FLAGS_OF = { turns: TURN_FILTER_FLAGS, outbox: OUTBOX_FILTER_FLAGS, audit: AUDIT_FILTER_FLAGS } as const;

/** Every filter flag of every list, for a command's FlagSpec. */
export const ALL_FILTER_FLAGS = { ...TURN_FILTER_FLAGS, ...OUTBOX_FILTER_FLAGS, ...AUDIT_FILTER_FLAGS } as const;

/** The filter of `list` from the flags; a flag of another list is refused. */
export function filterFor(list: ListName, args: ParsedArgs, command: string): Record<string, unknown> {
  const own = FLAGS_OF[list] as Record<string, string>;
  for (const name of args.flags.keys()) {
    if (Object.hasOwn(ALL_FILTER_FLAGS, name) && !Object.hasOwn(own, name)) {
      throw new UsageError(`--${name} is not a filter of ${list}`, command);
    }
  }
  if (list === 'turns') return turnFilterOf(args, command);
  if (list === 'outbox') return outboxFilterOf(args, command);
  return auditFilterOf(args, command);
}
