import { errorSignatureSql } from '../signature';
import { OUTBOX_ERROR_TEXT, TURN_ERROR_TEXT } from '../triage-rules';

// The SPEC's columns of the two tables gateways write, plus ours; migration 1 creates or adopts
// them, migration 5 adds its own (V5_*: kept apart so that a file at version 4 is one without them).

export interface ColumnSpec {
  name: string;
  /** Definition used for a new table. */
  create: string;
  /** Definition used to add the column to an adopted table (must be nullable or defaulted). */
  adopt: string;
  /** A generated column's expression (a read-only view over an older file computes it). */
  generated?: string;
}

export const col = (name: string, create: string, adopt = create): ColumnSpec => ({ name, create, adopt });

export const TURN_COLUMNS: ColumnSpec[] = [
  col('id', 'TEXT PRIMARY KEY'),
  col('channel', "TEXT NOT NULL DEFAULT ''"),
  col('account_id', "TEXT NOT NULL DEFAULT ''"),
  col('external_id', 'TEXT'),
  col('dedupe_key', 'TEXT'),
  col('session_key', "TEXT NOT NULL DEFAULT ''"),
  col('payload', "TEXT NOT NULL DEFAULT '{}'"),
  col('route_channel', "TEXT NOT NULL DEFAULT ''"),
  col('route_to', "TEXT NOT NULL DEFAULT ''"),
  col('route_account_id', 'TEXT'),
  col('route_thread_id', 'TEXT'),
  col('route_reply_to_id', 'TEXT'),
  col('accepted_at', 'INTEGER NOT NULL', 'INTEGER NOT NULL DEFAULT 0'),
  col('updated_at', 'INTEGER NOT NULL', 'INTEGER NOT NULL DEFAULT 0'),
  col('status', "TEXT NOT NULL DEFAULT 'accepted'"),
  col('attempt_count', 'INTEGER NOT NULL DEFAULT 0'),
  col('next_attempt_at', 'INTEGER NOT NULL', 'INTEGER NOT NULL DEFAULT 0'),
  col('terminal_reason', 'TEXT'),
  col('completed_at', 'INTEGER'),
  // Ours: a lease so two processes sharing the file never work on the same turn.
  col('claim_owner', 'TEXT'),
  col('claim_expires_at', 'INTEGER'),
];

export const OUTBOX_COLUMNS: ColumnSpec[] = [
  col('id', 'TEXT PRIMARY KEY'),
  col('turn_id', 'TEXT'),
  col('channel', 'TEXT NOT NULL', "TEXT NOT NULL DEFAULT ''"),
  col('account_id', "TEXT NOT NULL DEFAULT ''"),
  col('target', "TEXT NOT NULL DEFAULT ''"),
  col('dispatch_kind', 'TEXT'),
  col('payload', 'TEXT NOT NULL', "TEXT NOT NULL DEFAULT '{}'"),
  col('queued_at', 'INTEGER NOT NULL', 'INTEGER NOT NULL DEFAULT 0'),
  col('status', "TEXT NOT NULL DEFAULT 'queued'"),
  col('attempt_count', 'INTEGER NOT NULL DEFAULT 0'),
  col('next_attempt_at', 'INTEGER NOT NULL', 'INTEGER NOT NULL DEFAULT 0'),
  col('last_attempt_at', 'INTEGER'),
  col('delivered_at', 'INTEGER'),
  col('completed_at', 'INTEGER'),
  col('last_error', 'TEXT'),
  col('error_class', 'TEXT'),
  col('terminal_reason', 'TEXT'),
  col('idempotency_key', 'TEXT'),
  col('claim_owner', 'TEXT'),
  col('claim_expires_at', 'INTEGER'),
  // Ours: set when an expired row was given one last attempt instead of expiring.
  col('last_chance', 'INTEGER NOT NULL DEFAULT 0'),
];

const signature = (text: string): ColumnSpec => {
  const expr = errorSignatureSql(text, 'sqlite');
  // VIRTUAL: nothing stored in the row, computed when read; the partial indexes store it for the
  // rows that have an error only.
  return { ...col('error_signature', `TEXT GENERATED ALWAYS AS (${expr}) VIRTUAL`), generated: expr };
};

/** Version 5 (triage): the link of a replay as a new turn, and the normalized error. */
export const V5_TURN_COLUMNS: ColumnSpec[] = [col('replay_of', 'TEXT'), signature(TURN_ERROR_TEXT)];
/** Version 5: the link of a resend, and the normalized error. */
export const V5_OUTBOX_COLUMNS: ColumnSpec[] = [col('resend_of', 'TEXT'), signature(OUTBOX_ERROR_TEXT)];
/** Version 5: which operator action, the reason a person gave, the bulk job an entry belongs to. */
export const V5_HISTORY_COLUMNS: ColumnSpec[] = [col('action', 'TEXT'), col('note', 'TEXT'), col('job_id', 'TEXT')];
