import { ACTIVE_TURN_SQL, PENDING_ROW_SQL } from '../rules';
import type { Migration } from './types';
import { applyV4Writes } from './v4-writes';

/**
 * The list filters that had no index giving their rows in time order (a kind, a channel, a
 * session alone): each page sorted every matching row. With these, every filter the dashboard
 * offers drives a page from an ordered walk (main/lifecycle/queries/lists.ts). What each costs
 * on inserts is printed by the reads bench (test/bench/index-cost.ts).
 */
export const V4_INDEXES: Record<string, string> = {
  ix_turns_session_accepted: 'message_turns(session_key, accepted_at)',
  ix_turns_channel_accepted: 'message_turns(channel, accepted_at)',
  ix_outbox_kind_queued: 'message_outbox(dispatch_kind, queued_at)',
  ix_outbox_channel_queued: 'message_outbox(channel, queued_at)',
  // The stuck counts of status() read only these (open turns, pending rows: a small part of any
  // file, whatever its size), never the tables: 18k stuck turns cost 77 ms of table reads at 10M.
  // The WHERE is the same text as the stuck rule's, so the planner can prove it applies.
  ix_turns_open: `message_turns(status, attempt_count, updated_at) WHERE status IN (${ACTIVE_TURN_SQL})`,
  ix_outbox_pending: `message_outbox(status, attempt_count, next_attempt_at) WHERE status IN (${PENDING_ROW_SQL})`,
};

/** Version 4: the indexes above, and the write path's triggers in fewer programs (v4-writes.ts). */
export const v4: Migration = (db) => {
  for (const [name, on] of Object.entries(V4_INDEXES)) db.exec(`CREATE INDEX IF NOT EXISTS ${name} ON ${on}`);
  applyV4Writes(db);
};
