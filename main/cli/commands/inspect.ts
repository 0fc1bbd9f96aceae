import type { OutboxListItem, TurnListItem } from '../../../shared/views';
import {
  OUTBOX_STATUSES,
  TURN_STATUSES,
  type HistoryEntry,
  type OutboxStatus,
  type TurnStatus,
} from '../../../shared/types';
import { booleanFlag, intFlag, listFlag, positionals, stringFlag, enumFlag } from '../args';
import type { Command } from '../command';
import { age, cell, fields, isoTime, safeText, table, when } from '../output';

// Read-only commands: status, turns, outbox, show, audit.

const LIMIT = { min: 1, max: 500 };
const OUTBOX_KINDS = ['tool', 'block', 'final', 'direct'] as const;

export const statusCommand: Command = {
  name: 'status',
  summary: 'counts by status for turns and outbox, and how many are stuck',
  usage: 'status',
  flags: {},
  prepare(args) {
    positionals(args, [], 'status');
    return (ctx) => {
      const counts = ctx.open().status();
      ctx.out.emit(counts, () => {
        const turns = TURN_STATUSES.map((s) => [s, String(counts.turns[s])]);
        const outbox = OUTBOX_STATUSES.map((s) => [s, String(counts.outbox[s])]);
        return [
          table(['TURNS', 'COUNT'], [...turns, ['stuck', String(counts.stuckTurns)]]),
          '',
          table(['OUTBOX', 'COUNT'], [...outbox, ['stuck', String(counts.stuckOutbox)]]),
        ].join('\n');
      });
    };
  },
};

function pageTrailer(shown: number, nextCursor: string | null): string {
  if (shown === 0) return '(none)';
  return nextCursor === null ? `${shown} shown` : `${shown} shown; more with --cursor ${nextCursor}`;
}

export function turnRows(items: readonly TurnListItem[], now: number): string[][] {
  return items.map((t) => [
    cell(t.id),
    t.status,
    cell(t.sessionKey),
    cell(t.channel),
    String(t.attemptCount),
    age(t.acceptedAt, now),
    cell(t.stuckReason ?? (t.terminalReason ? `(${t.terminalReason})` : null)),
  ]);
}
const TURN_HEADERS = ['ID', 'STATUS', 'SESSION', 'CHANNEL', 'ATTEMPTS', 'AGE', 'STUCK / REASON'];

export const turnsCommand: Command = {
  name: 'turns',
  summary: 'list turns, oldest first',
  usage: 'turns [--status S[,S…]] [--session K] [--stuck] [--limit N] [--cursor C]',
  details: [
    `--status   one or more of ${TURN_STATUSES.join(', ')}`,
    '--session  only turns of this session key',
    '--stuck    only stuck turns (non-terminal and failed at least once or idle too long)',
    '--limit    1 to 500 (default 50)',
    '--cursor   continue after the last page (printed at its end)',
  ],
  flags: { status: 'string', session: 'string', stuck: 'boolean', limit: 'string', cursor: 'string' },
  prepare(args) {
    positionals(args, [], 'turns');
    const filter = {
      status: listFlag<TurnStatus>(args, 'status', TURN_STATUSES, 'turns'),
      sessionKey: stringFlag(args, 'session'),
      stuck: booleanFlag(args, 'stuck'),
      limit: intFlag(args, 'limit', LIMIT, 'turns'),
      cursor: stringFlag(args, 'cursor'),
      order: 'asc' as const,
    };
    return (ctx) => {
      const lc = ctx.open();
      const page = lc.listTurns(filter);
      const now = lc.core.now();
      ctx.out.emit(page, () =>
        [table(TURN_HEADERS, turnRows(page.items, now)), pageTrailer(page.items.length, page.nextCursor)].join('\n'),
      );
    };
  },
};

/** Why a row that is not stuck is where it is: its terminal reason, or the last error of a pending row. */
function rowReason(r: OutboxListItem): string | null {
  if (r.status === 'delivered') return null;
  if (r.terminalReason)
    return `(${r.terminalReason === r.lastError ? r.terminalReason : [r.terminalReason, r.lastError].filter(Boolean).join(': ')})`;
  return r.lastError;
}

export function outboxRows(items: readonly OutboxListItem[], now: number, withTurn = true): string[][] {
  return items.map((r) => [
    cell(r.id),
    ...(withTurn ? [cell(r.turnId)] : []),
    r.dispatchKind ?? 'direct',
    r.status,
    `${cell(r.channel)}→${cell(r.target)}`,
    String(r.attemptCount),
    age(r.queuedAt, now),
    cell(r.stuckReason ?? rowReason(r)),
  ]);
}

export const outboxCommand: Command = {
  name: 'outbox',
  summary: 'list outbox rows, oldest first',
  usage: 'outbox [--status S[,S…]] [--turn ID] [--kind K] [--stuck] [--limit N] [--cursor C]',
  details: [
    `--status  one or more of ${OUTBOX_STATUSES.join(', ')}`,
    '--turn    only rows of this turn',
    `--kind    one of ${OUTBOX_KINDS.join(', ')} (direct = a send outside a turn's tool/block/final)`,
    '--stuck   only stuck rows (pending and failed at least once or overdue)',
    '--limit   1 to 500 (default 50)',
    '--cursor  continue after the last page (printed at its end)',
  ],
  flags: { status: 'string', turn: 'string', kind: 'string', stuck: 'boolean', limit: 'string', cursor: 'string' },
  prepare(args) {
    positionals(args, [], 'outbox');
    const filter = {
      status: listFlag<OutboxStatus>(args, 'status', OUTBOX_STATUSES, 'outbox'),
      turnId: stringFlag(args, 'turn'),
      kind: enumFlag(args, 'kind', OUTBOX_KINDS, 'outbox'),
      stuck: booleanFlag(args, 'stuck'),
      limit: intFlag(args, 'limit', LIMIT, 'outbox'),
      cursor: stringFlag(args, 'cursor'),
      order: 'asc' as const,
    };
    return (ctx) => {
      const lc = ctx.open();
      const page = lc.listOutbox(filter);
      const now = lc.core.now();
      ctx.out.emit(page, () =>
        [
          table(
            ['ID', 'TURN', 'KIND', 'STATUS', 'CHANNEL→TARGET', 'ATTEMPTS', 'AGE', 'STUCK / REASON'],
            outboxRows(page.items, now),
          ),
          pageTrailer(page.items.length, page.nextCursor),
        ].join('\n'),
      );
    };
  },
};

export function historyRows(entries: readonly HistoryEntry[]): string[][] {
  return entries.map((h) => [
    isoTime(h.at),
    h.actor,
    cell(h.by),
    h.kind === 'outbox' ? `row ${cell(h.entityId)}` : h.kind,
    h.fromStatus === null && h.toStatus === null ? '-' : `${h.fromStatus ?? '∅'} → ${h.toStatus ?? '∅'}`,
    cell(h.reason),
  ]);
}
const HISTORY_HEADERS = ['TIME', 'ACTOR', 'BY', 'WHAT', 'FROM → TO', 'REASON'];

export const showCommand: Command = {
  name: 'show',
  summary: 'one turn: its fields and payload, its outbox rows and its history',
  usage: 'show <turn-id>',
  flags: {},
  prepare(args) {
    const [id] = positionals(args, ['turn-id'], 'show');
    return (ctx) => {
      const lc = ctx.open();
      const detail = lc.turnDetail(id!);
      const now = lc.core.now();
      ctx.out.emit(detail, () => {
        const t = detail.turn;
        const route = [
          `${cell(t.routeChannel)} → ${cell(t.routeTo)}`,
          t.routeAccountId ? `account ${cell(t.routeAccountId)}` : '',
          t.routeThreadId ? `thread ${cell(t.routeThreadId)}` : '',
          t.routeReplyToId ? `reply to ${cell(t.routeReplyToId)}` : '',
        ].filter(Boolean);
        const claim =
          t.claimOwner && t.claimExpiresAt !== null && t.claimExpiresAt > now
            ? `${cell(t.claimOwner)} until ${when(t.claimExpiresAt, now)}`
            : '-';
        return [
          fields([
            ['turn', cell(t.id)],
            ['status', t.status],
            ['stuck', cell(detail.stuckReason)],
            ['session', cell(t.sessionKey)],
            ['from', `${cell(t.channel)}${t.accountId ? ` (account ${cell(t.accountId)})` : ''}`],
            ['external id', cell(t.externalId)],
            ['dedupe key', cell(t.dedupeKey)],
            ['route', route.join(', ')],
            ['accepted', when(t.acceptedAt, now)],
            ['updated', when(t.updatedAt, now)],
            ['attempts', String(t.attemptCount)],
            ['next attempt', when(t.nextAttemptAt, now)],
            ['held by', claim],
            ['reason', cell(t.terminalReason)],
            ['completed', when(t.completedAt, now)],
          ]),
          '',
          'payload:',
          safeText(t.payload)
            .split('\n')
            .map((l) => `  ${l}`)
            .join('\n'),
          '',
          `outbox (${detail.outbox.length}):`,
          detail.outbox.length === 0
            ? '  (none)'
            : table(
                ['ID', 'KIND', 'STATUS', 'CHANNEL→TARGET', 'ATTEMPTS', 'AGE', 'STUCK / REASON'],
                outboxRows(detail.outbox, now, false),
              ),
          '',
          `history (${detail.history.length}):`,
          detail.history.length === 0 ? '  (none)' : table(HISTORY_HEADERS, historyRows(detail.history)),
        ].join('\n');
      });
    };
  },
};

export const auditCommand: Command = {
  name: 'audit',
  summary: 'operator actions (who did what, when), newest first',
  usage: 'audit [--limit N]',
  details: ['--limit  1 to 1000 (default 100)'],
  flags: { limit: 'string' },
  prepare(args) {
    positionals(args, [], 'audit');
    const limit = intFlag(args, 'limit', { min: 1, max: 1000 }, 'audit');
    return (ctx) => {
      const entries = ctx.open().auditTrail(limit);
      ctx.out.emit({ items: entries }, () =>
        entries.length === 0
          ? '(no operator actions recorded)'
          : table(
              ['TIME', 'BY', 'SUBJECT', 'FROM → TO', 'REASON'],
              entries.map((h) => [
                isoTime(h.at),
                cell(h.by),
                h.kind === 'action' ? '-' : `${h.kind} ${cell(h.entityId)}`,
                h.fromStatus === null && h.toStatus === null ? '-' : `${h.fromStatus ?? '∅'} → ${h.toStatus ?? '∅'}`,
                cell(h.reason),
              ]),
            ),
      );
    };
  },
};
