import type { AcceptInput } from '../lifecycle/turns';
import type { DispatchKind } from '../../shared/types';
import { FIRST_MESSAGE_ID, type Arrival } from './scenario';

// What the demo's platform hands the gateway, and what the gateway sends back: the same shapes
// in the seeded past and live.

export function externalIdOf(n: number): string {
  return String(FIRST_MESSAGE_ID + n);
}

/** An inbound message as the gateway accepts it; `runTag` keeps dedupe keys of two runs apart. */
export function inboundInput(a: Arrival, runTag: string, sessionKey = a.sessionKey, chat = a.chat): AcceptInput {
  const channel = sessionKey.split(':')[2] ?? a.channel;
  return {
    channel,
    accountId: `${channel}-bot`,
    externalId: externalIdOf(a.n),
    dedupeKey: `${channel}:${channel}-bot:${chat}:${runTag}:${externalIdOf(a.n)}`,
    sessionKey,
    payload: a.poison
      ? { text: a.text, from: chat, attachment: { name: 'scan_2026-11-30.pdf', bytes: 48_213_907 } }
      : { text: a.text, from: chat },
    route: { channel, to: chat },
  };
}

/** The reply of `kind` to message `a`: `replyTo` is what a platform threads the reply under. */
export function replyPayload(a: Pick<Arrival, 'n' | 'text'>, kind: DispatchKind): { text: string; replyTo: string } {
  const text =
    kind === 'tool'
      ? `calling tool for "${a.text.slice(0, 40)}"`
      : kind === 'block'
        ? 'thinking…'
        : `Here is my answer to: ${a.text}`;
  return { text, replyTo: externalIdOf(a.n) };
}

/** The message number a reply answers (its `replyTo`), or null for a payload the demo did not write. */
export function messageNumberOf(payload: string): number | null {
  try {
    const replyTo = (JSON.parse(payload) as { replyTo?: unknown }).replyTo;
    const n = Number(replyTo) - FIRST_MESSAGE_ID;
    return typeof replyTo === 'string' && Number.isInteger(n) ? n : null;
  } catch {
    return null;
  }
}
