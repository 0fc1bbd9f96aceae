// Roles (SPEC "Who writes the file"): the dashboard is a guest in a file a gateway owns. As an
// observer (the default for a file it did not create) it changes no SPEC column of any row
// until a person acts; --read-only writes nothing at all; a file it cannot migrate or write
// opens read-only with the reason, byte-identical.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ApiHost } from '../../main/api/host';
import { Lifecycle, LifecycleError } from '../../main/lifecycle';
import Database from 'better-sqlite3';
import { API_METHODS, type ApiEvent, type ApiMethod, type IntegrityState } from '../../shared/api';
import { specSnapshot, writeGatewayFile } from '../helpers/gateway-file';
import { ROUTE, delay, sha256, tempDir } from '../helpers/temp-db';

const BIN = path.join(__dirname, '..', '..', 'main', 'cli', 'bin.js');

function gatewayFile(options?: Parameters<typeof writeGatewayFile>[2]): string {
  const file = path.join(tempDir(), 'message-lifecycle.db');
  writeGatewayFile(file, Date.now(), options);
  return file;
}

/**
 * Commits a timeline entry to `file`, as another process would (the SPEC tables are untouched).
 * An engine's change watch reports such a commit as `changed` from its next poll (a commit that
 * changes no lifecycle data, e.g. to a table of the test's own, says nothing since issue 12):
 * the positive signal that a poll ran since.
 */
function probeCommit(file: string): void {
  const db = new Database(file);
  try {
    db.exec(
      "INSERT INTO message_history (kind, entity_id, subject_id, actor, reason, at) VALUES ('turn', 'test-probe', 'test-probe', 'gateway', 'test probe', 0)",
    );
  } finally {
    db.close();
  }
}

function nextEvent(
  subscribe: (listener: (e: ApiEvent) => void) => () => void,
  match: (e: ApiEvent) => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<ApiEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${what} within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = subscribe((e) => {
      if (!match(e)) return;
      clearTimeout(timer);
      off();
      resolve(e);
    });
  });
}

/**
 * Waits until what could write on its own had its chance: the integrity check finished, and a
 * counts poll ran after that (it reported a probe commit). A worker, had one been started, would
 * have recorded its heartbeat before the host was ready and begun its first pass (a 0 ms timer,
 * queued before the poll's) before that poll.
 */
async function settled(host: ApiHost, file: string): Promise<void> {
  const done = (i: IntegrityState): boolean => i.state !== 'checking';
  if (!done(host.info.integrity)) {
    await nextEvent(
      (l) => host.onEvent(l),
      (e) => e.type === 'integrity' && done(e.integrity),
      'end of the integrity check',
    );
  }
  const probing = Date.now();
  const polled = nextEvent(
    (l) => host.onEvent(l),
    (e) => e.type === 'changed' && e.at >= probing,
    'changed event for the probe commit',
  );
  probeCommit(file);
  await polled;
}

/** Polls `done` (a positive condition) until it holds; fails with `what()` after `timeoutMs`. */
async function until(done: () => boolean, what: () => string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what()}`);
    await delay(20);
  }
}

/** Reads a Server-Sent Events body; `event`/`comment` resolve on the first match, seen or to come. */
function sse(res: Response): {
  event(match: (e: ApiEvent) => boolean, what: string): Promise<ApiEvent>;
  comment(text: string): Promise<void>;
} {
  const events: ApiEvent[] = [];
  const comments: string[] = [];
  const waiters = new Set<() => void>();
  let ended: Error | null = null;
  void (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (block.startsWith(':')) comments.push(block.slice(1).trim());
          else if (block.startsWith('data: ')) events.push(JSON.parse(block.slice(6)) as ApiEvent);
        }
        for (const w of [...waiters]) w();
      }
      ended = new Error('the event stream ended');
    } catch (err) {
      ended = err as Error;
    }
    for (const w of [...waiters]) w();
  })();
  const wait = <T>(find: () => T | undefined, what: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no ${what} within 10 s`));
      }, 10_000);
      const check = (): void => {
        const found = find();
        if (found === undefined && !ended) return;
        clearTimeout(timer);
        waiters.delete(check);
        if (found !== undefined) resolve(found);
        else reject(new Error(`no ${what}: ${ended?.message ?? ''}`));
      };
      waiters.add(check);
      check();
    });
  return {
    event: (match, what) => wait(() => events.find(match), what),
    comment: (text) =>
      wait(() => (comments.includes(text) ? true : undefined), `": ${text}" comment`).then(() => undefined),
  };
}

async function withHost<T>(
  options: Parameters<typeof ApiHost.start>[0],
  fn: (host: ApiHost) => Promise<T>,
): Promise<T> {
  const host = await ApiHost.start({ operator: 'desk:test', countsIntervalMs: 100, ...options });
  try {
    return await fn(host);
  } finally {
    await host.close();
  }
}

test('the desktop engine on a gateway file observes: no SPEC column of any row changes until an operator acts', async () => {
  const file = gatewayFile();
  const before = specSnapshot(file);
  await withHost({ dbPath: file }, async (host) => {
    assert.equal(host.info.role, 'observer');
    assert.equal(host.info.recovering, false);
    assert.match(host.info.roleReason, /nothing is written except the actions you confirm/);
    await settled(host, file);
    for (const method of ['getStatus', 'listTurns', 'listOutbox', 'getAudit', 'getLiveness'] as const) {
      assert.ok((await host.call(method, {})).ok, method);
    }
    assert.equal(specSnapshot(file), before, 'the observer changed the gateway data on its own');
    const liveness = await host.call('getLiveness', {});
    assert.ok(liveness.ok);
    assert.match(liveness.value.banner ?? '', /No recovery worker has recorded a heartbeat/);

    const replay = await host.call('replayTurns', { ids: ['retrying-0'] });
    assert.ok(replay.ok && replay.value.done === 1);
    assert.match(replay.value.note ?? '', /when a recovery worker with the gateway's handlers runs/);
  });
  const after = JSON.parse(specSnapshot(file)) as { turns: { id: string; next_attempt_at: number }[] };
  const was = JSON.parse(before) as typeof after;
  const changed = after.turns.filter((t, i) => JSON.stringify(t) !== JSON.stringify(was.turns[i])).map((t) => t.id);
  assert.deepEqual(changed, ['retrying-0'], 'the confirmed action changed exactly its turn');
});

test('serve --db on a gateway file observes too, and says its role', async () => {
  const file = gatewayFile();
  const before = specSnapshot(file);
  // The Bearer secret is never printed: a program chooses it (serve.ts, LIFECYCLE_DESK_TOKEN).
  const token = 'programs-choose-their-own-bearer-token-0123456789';
  const child = spawn(process.execPath, [BIN, 'serve', '--db', file, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LIFECYCLE_DESK_TOKEN: token },
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const controller = new AbortController();
  try {
    await until(
      () => out.includes('\n') && err.includes('\n'),
      () => `the URL and role lines; ${out}${err}`,
    );
    const m = /^Lifecycle Desk at (http:\/\/127\.0\.0\.1:\d+)\/#code=(\S+)\n/.exec(out);
    assert.ok(m, out);
    assert.match(err, /^Role: observer \(/m);
    const [, origin] = m as unknown as [string, string];
    const headers = { Authorization: `Bearer ${token}` };

    // What could write on its own had its chance (as settled() for a host): the push stream
    // subscribed, the integrity check finished, then a counts poll reported a probe commit.
    const res = await fetch(`${origin}/api/events`, { headers, signal: controller.signal });
    assert.equal(res.status, 200);
    const stream = sse(res);
    await stream.comment('connected');
    const info = (await (await fetch(`${origin}/api/getInfo`, { method: 'POST', headers, body: '{}' })).json()) as {
      value: { role: string; integrity: IntegrityState };
    };
    assert.equal(info.value.role, 'observer');
    if (info.value.integrity.state === 'checking') {
      await stream.event(
        (e) => e.type === 'integrity' && e.integrity.state !== 'checking',
        'end of the integrity check',
      );
    }
    const probing = Date.now();
    probeCommit(file);
    await stream.event((e) => e.type === 'changed' && e.at >= probing, 'changed event for the probe commit');
  } finally {
    controller.abort();
    child.kill('SIGTERM');
  }
  assert.equal(await exited, 0);
  assert.equal(specSnapshot(file), before);
});

test('the same file with --recover is changed by the worker (what the observer spares a gateway)', async () => {
  const file = gatewayFile();
  const before = specSnapshot(file);
  await withHost({ dbPath: file, recover: true }, async (host) => {
    assert.equal(host.info.role, 'recovering');
    assert.equal(host.info.recovering, true);
    let changed = false;
    for (let i = 0; i < 60 && !changed; i++) {
      await delay(100);
      changed = specSnapshot(file) !== before;
    }
    assert.ok(changed, 'the worker expired, terminalized or pruned something');
    const liveness = await host.call('getLiveness', {});
    assert.ok(liveness.ok);
    // Alive, but without a gateway's handlers: requested replays and retries still wait.
    assert.ok(liveness.value.workers.some((w) => w.self && w.alive && !w.canDeliver && !w.canReplay));
    assert.match(
      liveness.value.banner ?? '',
      /runs here without the gateway's handlers \(expiry, finalization and pruning only\)/,
    );
    const peer = Lifecycle.open(file);
    const fresh = peer.enqueue({ channel: 'telegram', target: 'chat-1', payload: {}, live: false }).row.id;
    peer.close();
    const retry = await host.call('retryRows', { ids: [fresh] });
    assert.ok(retry.ok);
    assert.match(
      retry.value.note ?? '',
      /^The retry runs when a recovery worker with the gateway's handlers runs: .* without the gateway's deliver handler/,
    );
  });
});

const WRITES: ApiMethod[] = ['abortSessions', 'replayTurns', 'retryRows', 'terminateRows', 'prune'];
const ARGS: Partial<Record<ApiMethod, object>> = {
  abortSessions: { sessionKeys: ['s1'] },
  replayTurns: { ids: ['retrying-1'] },
  retryRows: { ids: ['final-1'] },
  terminateRows: { ids: ['final-1'] },
  prune: {},
};

test('--read-only: every write is refused with read_only, and the file stays byte-identical', async () => {
  const file = gatewayFile();
  Lifecycle.open(file).close(); // a current schema, in WAL, with nothing pending in the WAL
  const bytes = sha256(file);
  await withHost({ dbPath: file, readOnly: true }, async (host) => {
    assert.equal(host.info.role, 'read-only');
    assert.equal(host.info.readOnly, true);
    assert.deepEqual(
      WRITES.filter((m) => API_METHODS.includes(m)),
      WRITES,
    );
    for (const method of WRITES) {
      const result = await host.callRaw(method, ARGS[method]);
      assert.equal(result.ok, false, method);
      assert.equal(!result.ok && result.error.code, 'read_only', method);
      assert.match(!result.ok ? result.error.message : '', /open read-only: nothing can be changed/);
    }
    assert.ok((await host.call('listTurns', { status: ['failed_retryable'] })).ok);
  });
  assert.equal(sha256(file), bytes);

  const lc = Lifecycle.open(file, { readOnly: true });
  try {
    const refused = (fn: () => unknown): void =>
      assert.throws(
        fn,
        (e: unknown) => e instanceof LifecycleError && e.code === 'read_only' && /read-only/.test(e.message),
      );
    refused(() => lc.accept({ channel: 'telegram', sessionKey: 's', payload: {}, route: ROUTE }));
    refused(() => lc.enqueue({ channel: 'telegram', payload: {} }));
    refused(() => lc.markRunning('retrying-1'));
    refused(() => lc.beginSend('final-1'));
    refused(() => lc.ack('final-1'));
    refused(() => lc.fail('final-1', { error: 'x', errorClass: 'retryable' }));
    refused(() => lc.finalize('pending-1'));
    refused(() => lc.abortSession('s1'));
    refused(() => lc.expire());
    refused(() => lc.prune());
    refused(() => lc.operatorReplay('retrying-1', 'desk:test'));
    refused(() => lc.operatorRetry('final-1', 'desk:test'));
    refused(() => lc.operatorTerminate('final-1', 'desk:test'));
    await assert.rejects(
      lc.commit(() => lc.expire()),
      (e: unknown) => e instanceof LifecycleError && e.code === 'read_only',
    );
    // Raw SQL through the core's own connection is refused by SQLite itself.
    assert.throws(() => lc.db.exec("UPDATE message_turns SET status = 'aborted'"), /readonly|query_only|read-only/i);
  } finally {
    lc.close();
  }
  assert.equal(sha256(file), bytes);
});

test('a migration that fails leaves every byte as it was; the app then opens the file read-only and says why', async () => {
  // No unique index, no WAL: the gateway wrote two turns with one dedupe key.
  const file = gatewayFile({ unique: false, wal: false });
  const bytes = sha256(file);
  assert.throws(
    () => Lifecycle.open(file),
    (e: unknown) =>
      e instanceof LifecycleError && e.code === 'migration_failed' && /nothing was changed/.test(e.message),
  );
  assert.equal(sha256(file), bytes, 'the failed migration changed the file');
  assert.equal(fs.existsSync(`${file}-wal`), false, 'the file was switched to WAL');

  await withHost({ dbPath: file }, async (host) => {
    assert.equal(host.info.role, 'read-only');
    assert.match(host.info.roleReason, /opened read-only because could not migrate .* UNIQUE constraint failed/);
    assert.equal(host.info.schemaVersion, 0);
    const status = await host.call('getStatus', {});
    assert.ok(status.ok);
    assert.equal(status.value.turns.failed_retryable, 20);
    assert.equal(status.value.turns.accepted, 2);
    const turns = await host.call('listTurns', { status: ['delivery_pending'], limit: 5 });
    assert.ok(turns.ok && turns.value.items.length === 5);
    const detail = await host.call('getTurn', { id: 'pending-3' });
    assert.ok(detail.ok && detail.value.outbox.length === 2);
    const replay = await host.call('replayTurns', { ids: ['retrying-2'] });
    assert.equal(!replay.ok && replay.error.code, 'read_only');
  });
  assert.equal(sha256(file), bytes);
});

/** Runs `args` as an unprivileged user (root ignores file modes), or null where that cannot be done. */
function unprivileged(): string[] | null {
  if (process.getuid?.() !== 0) return [];
  return fs.existsSync('/usr/bin/setpriv')
    ? ['/usr/bin/setpriv', '--reuid=65534', '--regid=65534', '--clear-groups']
    : null;
}

function runAs(prefix: string[], args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const [cmd, ...rest] = [...prefix, process.execPath, ...args];
  const child = spawn(cmd!, rest, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out, err })));
}

test('a healthy file in a folder we may not write is read-only, not corrupt', async (t) => {
  const prefix = unprivileged();
  if (prefix === null) {
    t.skip('needs setpriv to drop root privileges (root ignores file modes)');
    return;
  }
  const dir = tempDir();
  const file = path.join(dir, 'message-lifecycle.db');
  writeGatewayFile(file, Date.now());
  Lifecycle.open(file).close(); // migrated, in WAL mode, with no -wal/-shm left beside it
  const bytes = sha256(file);
  fs.chmodSync(file, 0o444);
  fs.chmodSync(dir, 0o555);
  t.after(() => fs.chmodSync(dir, 0o755));

  const cli = path.join(__dirname, '..', '..', 'main', 'cli', 'bin.js');
  const status = await runAs(prefix, [cli, 'status', '--db', file]);
  assert.equal(status.code, 1, status.err);
  assert.match(status.err, /is not writable; open it read-only to look at it/);
  assert.doesNotMatch(status.err, /corrupt|damaged/);
  const readOnly = await runAs(prefix, [cli, 'status', '--db', file, '--read-only']);
  assert.equal(readOnly.code, 1);
  assert.match(readOnly.err, /is in WAL mode and its folder is not writable/);

  // The engine opens it read-only, reading a labelled copy since SQLite cannot read it in place.
  const host = path.join(__dirname, '..', '..', 'main', 'api', 'host.js');
  const script = `const { ApiHost } = require(${JSON.stringify(host)});
    ApiHost.start({ dbPath: ${JSON.stringify(file)}, operator: 'desk:test' }).then(async (h) => {
      const s = await h.call('getStatus', {}); console.log(JSON.stringify({ info: h.info, status: s }));
      await h.close();
    }, (e) => { console.error(e.code, e.message); process.exit(1); });`;
  const engine = await runAs(prefix, ['-e', script]);
  assert.equal(engine.code, 0, engine.err);
  const { info, status: counts } = JSON.parse(engine.out) as {
    info: { role: string; roleReason: string };
    status: { ok: boolean; value: { turns: Record<string, number> } };
  };
  assert.equal(info.role, 'read-only');
  assert.match(info.roleReason, /is not writable.*this is a copy made at .*: it does not show later writes/);
  assert.ok(counts.ok);
  assert.equal(counts.value.turns.failed_retryable, 20);
  assert.equal(sha256(file), bytes);
});
