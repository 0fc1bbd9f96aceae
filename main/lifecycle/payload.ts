import type { Turn } from '../../shared/types';

// Payloads are JSON text (SPEC tables). One that cannot be parsed is terminal and never
// retried (SPEC "Outbox"); a turn that cannot be routed fails at once (SPEC "Replays are visible").

/** An object (stored as JSON) or a JSON string as the gateway has it. */
export function toJson(payload: unknown): string {
  return typeof payload === 'string' ? payload : JSON.stringify(payload ?? {});
}

/** Why the payload cannot be sent or replayed ("invalid payload: …"), or null when it can. */
export function invalidPayload(json: string): string | null {
  try {
    JSON.parse(json);
    return null;
  } catch (err) {
    return `invalid payload: ${(err as Error).message}`;
  }
}

/** Why a turn cannot be replayed at all, or null when it can. */
export function unroutable(turn: Pick<Turn, 'routeChannel' | 'routeTo' | 'payload'>): string | null {
  if (!turn.routeChannel || !turn.routeTo) return 'cannot be routed: the turn has no reply destination';
  const invalid = invalidPayload(turn.payload);
  return invalid === null ? null : `cannot be replayed: ${invalid}`;
}
