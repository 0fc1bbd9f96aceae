import type Database from 'better-sqlite3';

/** Brings a file from version N-1 to N, inside the one transaction opened by `migrate`. */
export type Migration = (db: Database.Database) => void;
