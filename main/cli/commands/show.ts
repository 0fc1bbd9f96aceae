import type { HistoryEntry } from '../../../shared/types';
import { positionals } from '../args';
import type { Command } from '../command';
import { outboxRows } from './outbox';
import { cell, fields, isoTime, safeText, table, when } from '../output';

// `show <turn-id>`: one turn, its rows and its history.

export function historyRows(entries: readonly HistoryEntry[]): string[][] {
  return entries.map((h) => [
    isoTime(h.at),
    h.actor,
    cell(h.by),
    h.kind === 'outbox' ? `row ${cell(h.entityId)}` : h.kind,
    h.fromStatus === null && h.toStatus === null ? '-' : `${h.fromStatus ?? '∅'} → ${h.toStatus ?? '∅'}`,
    cell(h.reason),
    cell(h.note),
  ]);
}

const HISTORY_HEADERS = ['TIME', 'ACTOR', 'BY', 'WHAT', 'FROM → TO', 'REASON', 'NOTE'];

export const showCommand: Command = {
  name: 'show',
  summary: 'one turn: its fields and payload, its outbox rows and its history',
  usage: 'show <turn-id>',
  flags: {},
  prepare(args) {
    const [id] = positionals(args, ['turn-id'], 'show');
    return async (ctx) => {
      const store = await ctx.open();
      const detail = await store.turnDetail(id!);
      const now = await store.now();
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
            // The links of dead letters, both ways (replay as new; resends are the rows below).
            ...(t.replayOf ? ([['replay of', `turn ${cell(t.replayOf)}`]] as const) : []),
            ...(detail.replayedAs.length
              ? ([['replayed as', detail.replayedAs.map((r) => `turn ${cell(r)}`).join(', ')]] as const)
              : []),
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
