import type { Migration } from './types';

/**
 * The turns' per-minute counters of rows already in a file: 'accepted' at accepted_at, then the
 * move to the current status at updated_at (the bench generator rebuilds them the same way).
 */
export const TURN_MINUTES_BACKFILL = `
    INSERT INTO lifecycle_minutes (entity, minute, status, entered)
      SELECT 'turn', accepted_at / 60000, 'accepted', count(*) FROM message_turns GROUP BY 2;
    INSERT INTO lifecycle_minutes (entity, minute, status, entered)
      SELECT 'turn', updated_at / 60000, status, count(*) FROM message_turns WHERE status <> 'accepted' GROUP BY 2, 3 HAVING true
      ON CONFLICT (entity, minute, status) DO UPDATE SET entered = entered + excluded.entered;
    INSERT INTO lifecycle_minutes (entity, minute, status, exited)
      SELECT 'turn', updated_at / 60000, 'accepted', count(*) FROM message_turns WHERE status <> 'accepted' GROUP BY 2 HAVING true
      ON CONFLICT (entity, minute, status) DO UPDATE SET exited = exited + excluded.exited;`;

/**
 * Counters kept by triggers, so the dashboard's counts and time series cost a few key lookups
 * on any size of database, and stay right whoever writes the file (gateways included).
 * `lifecycle_minutes` records, per minute, how many turns/rows entered and left each status.
 */
export const v2: Migration = (db) => {
  db.exec(`
    CREATE TABLE lifecycle_counts (
      entity TEXT NOT NULL, status TEXT NOT NULL, n INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (entity, status)
    ) WITHOUT ROWID;
    CREATE TABLE lifecycle_minutes (
      entity TEXT NOT NULL, minute INTEGER NOT NULL, status TEXT NOT NULL,
      entered INTEGER NOT NULL DEFAULT 0, exited INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (entity, minute, status)
    ) WITHOUT ROWID;
    INSERT INTO lifecycle_counts (entity, status, n)
      SELECT 'turn', status, count(*) FROM message_turns GROUP BY status;
    INSERT INTO lifecycle_counts (entity, status, n)
      SELECT 'outbox', status, count(*) FROM message_outbox GROUP BY status;
    ${TURN_MINUTES_BACKFILL}
    INSERT INTO lifecycle_minutes (entity, minute, status, entered)
      SELECT 'outbox', coalesce(completed_at, last_attempt_at, queued_at) / 60000, status, count(*)
      FROM message_outbox WHERE true GROUP BY 2, 3
      ON CONFLICT (entity, minute, status) DO UPDATE SET entered = entered + excluded.entered;

    CREATE TRIGGER lc_turn_insert AFTER INSERT ON message_turns BEGIN
      INSERT INTO lifecycle_counts VALUES ('turn', NEW.status, 1) ON CONFLICT (entity, status) DO UPDATE SET n = n + 1;
      INSERT INTO lifecycle_minutes (entity, minute, status, entered) VALUES ('turn', NEW.accepted_at / 60000, NEW.status, 1)
        ON CONFLICT (entity, minute, status) DO UPDATE SET entered = entered + 1;
    END;
    CREATE TRIGGER lc_turn_status AFTER UPDATE OF status ON message_turns WHEN OLD.status IS NOT NEW.status BEGIN
      UPDATE lifecycle_counts SET n = n - 1 WHERE entity = 'turn' AND status = OLD.status;
      INSERT INTO lifecycle_counts VALUES ('turn', NEW.status, 1) ON CONFLICT (entity, status) DO UPDATE SET n = n + 1;
      INSERT INTO lifecycle_minutes (entity, minute, status, exited) VALUES ('turn', NEW.updated_at / 60000, OLD.status, 1)
        ON CONFLICT (entity, minute, status) DO UPDATE SET exited = exited + 1;
      INSERT INTO lifecycle_minutes (entity, minute, status, entered) VALUES ('turn', NEW.updated_at / 60000, NEW.status, 1)
        ON CONFLICT (entity, minute, status) DO UPDATE SET entered = entered + 1;
    END;
    CREATE TRIGGER lc_turn_delete AFTER DELETE ON message_turns BEGIN
      UPDATE lifecycle_counts SET n = n - 1 WHERE entity = 'turn' AND status = OLD.status;
    END;
    CREATE TRIGGER lc_outbox_insert AFTER INSERT ON message_outbox BEGIN
      INSERT INTO lifecycle_counts VALUES ('outbox', NEW.status, 1) ON CONFLICT (entity, status) DO UPDATE SET n = n + 1;
      INSERT INTO lifecycle_minutes (entity, minute, status, entered)
        VALUES ('outbox', coalesce(NEW.completed_at, NEW.queued_at) / 60000, NEW.status, 1)
        ON CONFLICT (entity, minute, status) DO UPDATE SET entered = entered + 1;
    END;
    CREATE TRIGGER lc_outbox_status AFTER UPDATE OF status ON message_outbox WHEN OLD.status IS NOT NEW.status BEGIN
      UPDATE lifecycle_counts SET n = n - 1 WHERE entity = 'outbox' AND status = OLD.status;
      INSERT INTO lifecycle_counts VALUES ('outbox', NEW.status, 1) ON CONFLICT (entity, status) DO UPDATE SET n = n + 1;
      INSERT INTO lifecycle_minutes (entity, minute, status, entered)
        VALUES ('outbox', coalesce(NEW.completed_at, NEW.last_attempt_at, NEW.queued_at) / 60000, NEW.status, 1)
        ON CONFLICT (entity, minute, status) DO UPDATE SET entered = entered + 1;
    END;
    CREATE TRIGGER lc_outbox_delete AFTER DELETE ON message_outbox BEGIN
      UPDATE lifecycle_counts SET n = n - 1 WHERE entity = 'outbox' AND status = OLD.status;
    END;
  `);
};
