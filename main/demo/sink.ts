import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isPostgresUrl } from '../store/location';

/** The sink (the demo's simulated platform) lives beside the database. */
export const SINK_FILE_NAME = 'demo-sink.jsonl';

/** Beside a database file; for a PostgreSQL database, in the temp dir, named for the database. */
export function sinkFileFor(dbPath: string): string {
  if (isPostgresUrl(dbPath)) {
    const name = new URL(dbPath).pathname.slice(1).replace(/[^\w.-]/g, '_') || 'postgres';
    return path.join(os.tmpdir(), `lifecycle-desk-${name}-${SINK_FILE_NAME}`);
  }
  return path.join(path.dirname(path.resolve(dbPath)), SINK_FILE_NAME);
}

/** One line per send that reached the (simulated) platform. */
export interface SinkLine {
  at: number;
  /** The core's clock when the send was allowed (beginSend committed): an abort after it cannot stop it. */
  begunAt?: number | undefined;
  /** The process (core owner) that sent it. */
  by?: string | undefined;
  rowId: string;
  turnId: string | null;
  kind: string | null;
  channel: string;
  target: string;
  idempotencyKey: string | null;
  text: string;
}

/**
 * The demo's "platform": an append-only JSON-lines file. Appends are synchronous so that a
 * send is either in the file or not when the process is killed.
 */
export class Sink {
  constructor(readonly file: string) {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  }
  write(line: SinkLine): void {
    fs.appendFileSync(this.file, `${JSON.stringify(line)}\n`);
  }
  static read(file: string): SinkLine[] {
    if (!fs.existsSync(file)) return [];
    return fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as SinkLine];
        } catch {
          return []; // a line cut by a kill mid-write was never a complete send
        }
      });
  }
}
