import fs from 'node:fs';
import path from 'node:path';
import type { Core } from './context';
import { record } from './history';

/**
 * The legacy queue: one JSON file per pending delivery in a directory, as older gateways kept
 * it. Fields we read (others are kept in the payload): id (else the file name), channel, to or
 * target, accountId, payload or payloads, enqueuedAt, retryCount, lastError, turnId,
 * dispatchKind, idempotencyKey.
 */
interface LegacyEntry {
  id?: unknown;
  channel?: unknown;
  to?: unknown;
  target?: unknown;
  accountId?: unknown;
  payload?: unknown;
  payloads?: unknown;
  enqueuedAt?: unknown;
  retryCount?: unknown;
  lastError?: unknown;
  turnId?: unknown;
  dispatchKind?: unknown;
  idempotencyKey?: unknown;
}

export interface ImportProgress {
  done: number;
  total: number;
}

export interface ImportResult {
  imported: number;
  /** Files whose row was already in the database (an earlier, interrupted import). */
  alreadyPresent: number;
  /** Files left where they were, with why. */
  failed: { file: string; error: string }[];
  movedTo: string;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const int = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : null);
const BATCH = 500;

/**
 * Imports once and idempotently: rows are committed first (INSERT OR IGNORE by id), and a file
 * is moved to `imported/` only after its row committed, so a crash at any point loses nothing
 * and a re-run finishes the job.
 */
export function importLegacyQueue(core: Core, dir: string, onProgress?: (p: ImportProgress) => void): ImportResult {
  const files = fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.json'))
    .map((e) => e.name)
    .sort();
  const movedTo = path.join(dir, 'imported');
  const result: ImportResult = { imported: 0, alreadyPresent: 0, failed: [], movedTo };
  const insert = core.stmt(
    `INSERT OR IGNORE INTO message_outbox (id, turn_id, channel, account_id, target, dispatch_kind, payload, queued_at,
       status, attempt_count, next_attempt_at, last_error, idempotency_key, claim_owner, claim_expires_at)
     VALUES (@id, @turnId, @channel, @accountId, @target, @kind, @payload, @queuedAt, @status, @attempts, @now, @lastError, @idem,
       @owner, @now)`,
  );
  for (let i = 0; i < files.length; i += BATCH) {
    const batch = files.slice(i, i + BATCH);
    const committed: string[] = [];
    core.write(() => {
      for (const name of batch) {
        let entry: LegacyEntry;
        try {
          entry = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')) as LegacyEntry;
          if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new Error('not a JSON object');
        } catch (err) {
          result.failed.push({ file: name, error: (err as Error).message });
          continue;
        }
        const channel = str(entry.channel);
        if (!channel) {
          result.failed.push({ file: name, error: 'no channel' });
          continue;
        }
        const id = str(entry.id) ?? name.slice(0, -'.json'.length);
        const attempts = Math.max(0, int(entry.retryCount) ?? 0);
        const kind = str(entry.dispatchKind);
        const changes = insert.run({
          id,
          turnId: str(entry.turnId),
          channel,
          accountId: str(entry.accountId) ?? '',
          target: str(entry.to) ?? str(entry.target) ?? '',
          kind: kind === 'tool' || kind === 'block' || kind === 'final' ? kind : null,
          payload: JSON.stringify(entry.payloads ?? entry.payload ?? entry),
          queuedAt: int(entry.enqueuedAt) ?? core.now(),
          status: attempts > 0 ? 'failed_retryable' : 'queued',
          attempts,
          now: core.now(),
          lastError: str(entry.lastError),
          idem: str(entry.idempotencyKey),
          owner: core.owner, // a lapsed claim: nobody is sending it live, the worker may at once
        }).changes;
        if (changes === 1) {
          result.imported++;
          record(
            core,
            {
              kind: 'outbox',
              entityId: id,
              subjectId: str(entry.turnId) ?? id,
              from: null,
              to: attempts > 0 ? 'failed_retryable' : 'queued',
              reason: `imported from legacy queue file ${name}`,
            },
            { actor: 'worker' },
          );
        } else {
          result.alreadyPresent++;
        }
        committed.push(name);
      }
    });
    fs.mkdirSync(movedTo, { recursive: true });
    for (const name of committed) fs.renameSync(path.join(dir, name), path.join(movedTo, name));
    onProgress?.({ done: Math.min(i + BATCH, files.length), total: files.length });
  }
  return result;
}
