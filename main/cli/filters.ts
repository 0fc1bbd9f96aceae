import { parseCall, type ApiArgs, type ApiMethod } from '../../shared/api';
import { BULK_ACTIONS } from '../../shared/triage';
import { ERROR_CLASSES, OUTBOX_STATUSES, TURN_STATUSES, type OutboxStatus, type TurnStatus } from '../../shared/types';
import type { OutboxFilter, TurnFilter } from '../../shared/views';
import { booleanFlag, enumFlag, listFlag, stringFlag, type FlagSpec, type ParsedArgs } from './args';
import { timeFlag } from './duration';
import { UsageError } from './errors';

// The list filters as flags, the same for `turns`, `outbox`, `export` and `bulk`: one spelling
// and one help text for each filter of shared/api.ts.

export const OUTBOX_KINDS = ['tool', 'block', 'final', 'direct'] as const;

const COMMON_FLAGS = {
  status: 'string',
  channel: 'string',
  stuck: 'boolean',
  dead: 'boolean',
  search: 'string',
  since: 'string',
  until: 'string',
  signature: 'string',
} as const satisfies FlagSpec;

export const TURN_FILTER_FLAGS = { ...COMMON_FLAGS, session: 'string' } as const satisfies FlagSpec;
export const OUTBOX_FILTER_FLAGS = {
  ...COMMON_FLAGS,
  turn: 'string',
  kind: 'string',
  'error-class': 'string',
} as const satisfies FlagSpec;
export const AUDIT_FILTER_FLAGS = { by: 'string', action: 'string', since: 'string', until: 'string' } as const;

const COMMON_HELP = [
  '--channel      only this channel',
  '--stuck        only stuck work (open and failed at least once, or idle too long)',
  '--dead         only work that failed for good recently (needs attention: resend / replay as new)',
  '--search TEXT  3+ characters: any part of an id, external id, key, payload text or error; shorter: an id prefix',
  '--since T      from T: a duration ago (30m, 24h, 7d) or an ISO date',
  '--until T      before T, likewise',
  '--signature S  only the members of an error group (its signature, as `errors` prints it)',
];

export const TURN_FILTER_HELP = [
  `--status S,…   one or more of ${TURN_STATUSES.join(', ')}`,
  '--session K    only turns of this session key',
  ...COMMON_HELP,
];
export const OUTBOX_FILTER_HELP = [
  `--status S,…   one or more of ${OUTBOX_STATUSES.join(', ')}`,
  '--turn ID      only rows of this turn',
  `--kind K       one of ${OUTBOX_KINDS.join(', ')} (direct = a send outside a turn's tool/block/final)`,
  `--error-class  one of ${ERROR_CLASSES.join(', ')}`,
  ...COMMON_HELP,
];
export const AUDIT_FILTER_HELP = [
  '--by NAME      who did it (any part of the recorded name, e.g. alice for cli:alice)',
  `--action A     one of ${[...BULK_ACTIONS, 'prune', 'bulk'].join(', ')}`,
  '--since T      from T: a duration ago (30m, 24h, 7d) or an ISO date',
  '--until T      before T, likewise',
];

/** Drops the keys left undefined, so that JSON output and strict schemas see only what was asked. */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== false)) as T;
}

function common(args: ParsedArgs, command: string, now: number) {
  return {
    channel: stringFlag(args, 'channel'),
    stuck: booleanFlag(args, 'stuck') || undefined,
    dead: booleanFlag(args, 'dead') || undefined,
    search: stringFlag(args, 'search'),
    since: timeFlag(stringFlag(args, 'since'), 'since', command, now),
    until: timeFlag(stringFlag(args, 'until'), 'until', command, now),
    signature: stringFlag(args, 'signature'),
  };
}

export function turnFilterOf(args: ParsedArgs, command: string, now = Date.now()): TurnFilter {
  return defined({
    status: listFlag<TurnStatus>(args, 'status', TURN_STATUSES, command),
    sessionKey: stringFlag(args, 'session'),
    ...common(args, command, now),
  });
}

export function outboxFilterOf(args: ParsedArgs, command: string, now = Date.now()): OutboxFilter {
  return defined({
    status: listFlag<OutboxStatus>(args, 'status', OUTBOX_STATUSES, command),
    turnId: stringFlag(args, 'turn'),
    kind: enumFlag(args, 'kind', OUTBOX_KINDS, command),
    errorClass: enumFlag(args, 'error-class', ERROR_CLASSES, command),
    ...common(args, command, now),
  });
}

export function auditFilterOf(args: ParsedArgs, command: string, now = Date.now()) {
  return defined({
    by: stringFlag(args, 'by'),
    action: enumFlag(args, 'action', [...BULK_ACTIONS, 'prune', 'bulk'] as const, command),
    since: timeFlag(stringFlag(args, 'since'), 'since', command, now),
    until: timeFlag(stringFlag(args, 'until'), 'until', command, now),
  });
}

/** The arguments checked against the API's own schema (lengths, ranges), as a usage error. */
export function checkedArgs<M extends ApiMethod>(method: M, args: ApiArgs<M>, command: string): ApiArgs<M> {
  const call = parseCall(method, args);
  if (!call.ok) throw new UsageError(call.error.message.replace(`${method}: `, ''), command);
  return call.args as ApiArgs<M>;
}
