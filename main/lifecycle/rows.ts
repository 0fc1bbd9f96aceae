// Column lists that map the SPEC's snake_case columns onto the shared camelCase types.

export const TURN_SELECT = `id, channel, account_id AS accountId, external_id AS externalId,
  dedupe_key AS dedupeKey, session_key AS sessionKey, payload, route_channel AS routeChannel,
  route_to AS routeTo, route_account_id AS routeAccountId, route_thread_id AS routeThreadId,
  route_reply_to_id AS routeReplyToId, accepted_at AS acceptedAt, updated_at AS updatedAt, status,
  attempt_count AS attemptCount, next_attempt_at AS nextAttemptAt, terminal_reason AS terminalReason,
  completed_at AS completedAt, claim_owner AS claimOwner, claim_expires_at AS claimExpiresAt,
  replay_of AS replayOf`;

export const OUTBOX_SELECT = `id, turn_id AS turnId, channel, account_id AS accountId, target,
  dispatch_kind AS dispatchKind, payload, queued_at AS queuedAt, status, attempt_count AS attemptCount,
  next_attempt_at AS nextAttemptAt, last_attempt_at AS lastAttemptAt, delivered_at AS deliveredAt,
  completed_at AS completedAt, last_error AS lastError, error_class AS errorClass,
  terminal_reason AS terminalReason, idempotency_key AS idempotencyKey, claim_owner AS claimOwner,
  claim_expires_at AS claimExpiresAt, resend_of AS resendOf`;

export const HISTORY_SELECT = `id, kind, entity_id AS entityId, subject_id AS subjectId,
  from_status AS fromStatus, to_status AS toStatus, actor, reason, actor_name AS "by", at,
  action, note, job_id AS jobId`;
