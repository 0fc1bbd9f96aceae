// Files as an earlier version of Lifecycle Desk left them, for each migration's own test.
import path from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS } from '../../main/lifecycle/migrations';
import { tempDir } from './temp-db';

/** A file as version `v` of Lifecycle Desk left it: migrations 1..v, then rows in plain SQL. */
export function fileAtVersion(v: number, fill: (db: Database.Database) => void): string {
  const file = path.join(tempDir(), 'message-lifecycle.db');
  const db = new Database(file);
  db.transaction(() => {
    for (let i = 0; i < v; i++) MIGRATIONS[i]!(db);
    db.pragma(`user_version = ${v}`);
  })();
  fill(db);
  db.close();
  return file;
}
