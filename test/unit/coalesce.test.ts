// Identical reads in flight share one request (renderer/transport/coalesce.ts, plain Node: the
// module is pure); writes never do, and nothing is kept once a request settled.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { buildSync } from 'esbuild';
import {
  API_METHODS,
  METHOD_WRITES,
  type ApiArgs,
  type ApiCaller,
  type ApiMethod,
  type ApiResult,
  type ApiResults,
} from '../../shared/api';
import { tempDir } from '../helpers/temp-db';

// The renderer is not part of the Node build (tsconfig.json): the module is bundled here as the
// renderer's build bundles it (esbuild), with the zod-free shared values it imports.
const source = path.join(__dirname, '../../../renderer/transport/coalesce.ts');
const compiled = path.join(tempDir(), 'coalesce.js');
const bundled = buildSync({ entryPoints: [source], bundle: true, platform: 'node', format: 'cjs', write: false });
fs.writeFileSync(compiled, bundled.outputFiles[0]!.text);
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the module compiled just above
const { callShared, isRead } = require(compiled) as {
  isRead(method: string): boolean;
  callShared<M extends ApiMethod>(
    client: Pick<ApiCaller, 'call'>,
    method: M,
    args: ApiArgs<M>,
  ): Promise<ApiResult<ApiResults[M]>>;
};

/** A client whose answers the test releases by hand, counting what was sent. */
function client(): { caller: Pick<ApiCaller, 'call'>; sent: string[]; release(value: unknown): void } {
  const sent: string[] = [];
  const waiting: ((r: ApiResult<unknown>) => void)[] = [];
  return {
    sent,
    caller: {
      call: ((method: string, args: unknown) => {
        sent.push(`${method} ${JSON.stringify(args)}`);
        return new Promise<ApiResult<unknown>>((resolve) => waiting.push(resolve));
      }) as ApiCaller['call'],
    },
    release(value) {
      for (const r of waiting.splice(0)) r({ ok: true, value });
    },
  };
}

test('reads are the methods METHOD_WRITES marks false, and only those', () => {
  for (const m of API_METHODS) assert.equal(isRead(m), !METHOD_WRITES[m], m);
  assert.equal(isRead('toString'), false, 'no prototype name is a read');
});

test('identical reads in flight share one request and one answer', async () => {
  const c = client();
  const args = { stuck: true, order: 'desc' as const, limit: 25 };
  const a = callShared(c.caller, 'listTurns', args);
  const b = callShared(c.caller, 'listTurns', { ...args });
  const other = callShared(c.caller, 'listTurns', { ...args, limit: 26 });
  assert.equal(a, b, 'the second caller gets the first request');
  assert.equal(c.sent.length, 2, 'other arguments are another request');
  c.release({ items: [], nextCursor: null });
  assert.deepEqual(await a, await b);
  await other;
  // Settled: the next identical read asks again (no cache).
  const again = callShared(c.caller, 'listTurns', args);
  assert.equal(c.sent.length, 3);
  c.release({ items: [], nextCursor: null });
  await again;
});

test('a failed read is shared too, and forgotten', async () => {
  const sent: string[] = [];
  const caller: Pick<ApiCaller, 'call'> = {
    call: ((method: string) => {
      sent.push(method);
      return Promise.resolve({ ok: false, error: { code: 'unavailable', message: 'down' } });
    }) as ApiCaller['call'],
  };
  const [a, b] = await Promise.all([callShared(caller, 'getStatus', {}), callShared(caller, 'getStatus', {})]);
  assert.equal(sent.length, 1);
  assert.deepEqual(a, b);
  await callShared(caller, 'getStatus', {});
  assert.equal(sent.length, 2);
});

test('writes never share a request', () => {
  const c = client();
  void callShared(c.caller, 'retryRows', { ids: ['r1'] });
  void callShared(c.caller, 'retryRows', { ids: ['r1'] });
  assert.equal(c.sent.length, 2, 'two clicks are two actions');
  c.release({ done: [], refused: [] });
});

test('each client has its own requests in flight', () => {
  const one = client();
  const two = client();
  void callShared(one.caller, 'getStatus', {});
  void callShared(two.caller, 'getStatus', {});
  assert.equal(one.sent.length + two.sent.length, 2);
  one.release(null);
  two.release(null);
});
