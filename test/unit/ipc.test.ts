// The IPC adapter's guard (app/ipc-guard.ts), under plain Node: only the main window's top
// frame showing the app's own renderer may call, and only methods of the API table with
// arguments their schema accepts. The same table as shared/api.ts, so a new method without a
// case here fails to compile.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { checkIpcCall, checkIpcExport, checkIpcNotify, type IpcCallInput } from '../../app/ipc-guard';
import { RENDERER_URL, viewUrl } from '../../app/policy';
import {
  API_METHODS,
  IPC_CALL,
  IPC_EVENT,
  IPC_EXPORT,
  IPC_NOTIFY,
  type ApiArgs,
  type ApiMethod,
} from '../../shared/api';

const VALID: { [M in ApiMethod]: ApiArgs<M> } = {
  getInfo: {},
  getStatus: {},
  getSeries: { window: '24h' },
  listTurns: { status: ['running'], stuck: true, order: 'desc', limit: 50, cursor: null },
  listOutbox: { status: ['queued'], kind: 'final', limit: 10 },
  getTurn: { id: 'turn-1' },
  getAudit: { limit: 20 },
  previewAbort: { sessionKeys: ['s1'] },
  abortSessions: { sessionKeys: ['s1', 's2'] },
  replayTurns: { ids: ['turn-1'] },
  retryRows: { ids: ['row-1'] },
  terminateRows: { ids: ['row-1'] },
  prune: {},
  getErrorGroups: { sinceMs: 3_600_000 },
  resendRows: { ids: ['row-1'], reason: 'ticket 42' },
  replayAsNew: { ids: ['turn-1'] },
  previewBulk: { list: 'outbox', action: 'retry', filter: { status: ['failed_retryable'] } },
  startBulk: { list: 'turns', action: 'abort', filter: { channel: 'telegram' }, reason: 'outage' },
  getBulkJobs: {},
  cancelBulk: { id: 'job-1' },
  getLiveness: {},
  getChannelStats: { window: '24h' },
};

function input(overrides: Partial<IpcCallInput>): IpcCallInput {
  return {
    frameUrl: RENDERER_URL,
    isMainFrame: true,
    expectedUrl: RENDERER_URL,
    method: 'getStatus',
    args: {},
    ...overrides,
  };
}

function refusedWith(check: ReturnType<typeof checkIpcCall>, code: string): void {
  assert.equal(check.ok, false, 'the call must be refused');
  if (!check.ok) {
    assert.equal(check.error.code, code, check.error.message);
    assert.ok(check.error.message.length > 0);
  }
}

test('every method of the API table passes with valid arguments from the renderer', () => {
  assert.deepEqual(Object.keys(VALID).sort(), [...API_METHODS].sort());
  for (const method of API_METHODS) {
    const check = checkIpcCall(input({ method, args: VALID[method] }));
    assert.ok(check.ok, `${method}: ${check.ok ? '' : check.error.message}`);
    assert.equal(check.method, method);
  }
});

test('a hash route of the renderer is still the renderer', () => {
  for (const view of ['overview', 'turns', 'outbox', 'audit'] as const) {
    assert.ok(checkIpcCall(input({ frameUrl: viewUrl(view) })).ok, view);
  }
  assert.ok(checkIpcCall(input({ frameUrl: `${RENDERER_URL}#/turn/abc%2Fdef` })).ok);
});

test('missing arguments mean {} (methods without parameters)', () => {
  assert.ok(checkIpcCall(input({ method: 'getInfo', args: undefined })).ok);
});

test('a foreign sender is forbidden, whatever it asks', () => {
  const foreign = [
    'https://example.com/index.html',
    'http://127.0.0.1:4000/index.html',
    'file:///work/main/dist/renderer/index.html',
    'app://evil/index.html',
    'app://desk/other.html',
    'app://desk/index.html?x=1',
    'app://user:pw@desk/index.html',
    'app://desk:8080/index.html',
    'devtools://devtools/bundled/inspector.html',
    'about:blank',
    'data:text/html,<script>1</script>',
    '',
    'not a url',
  ];
  for (const frameUrl of foreign) {
    refusedWith(checkIpcCall(input({ frameUrl })), 'forbidden');
  }
  refusedWith(checkIpcCall(input({ frameUrl: null })), 'forbidden');
  refusedWith(checkIpcCall(input({ frameUrl: undefined })), 'forbidden');
});

test('a subframe is forbidden even on the renderer URL', () => {
  refusedWith(checkIpcCall(input({ isMainFrame: false })), 'forbidden');
});

test('the sender is checked before the method: a foreign page learns nothing about the API', () => {
  refusedWith(checkIpcCall(input({ frameUrl: 'https://example.com/', method: 'nope' })), 'forbidden');
  refusedWith(checkIpcCall(input({ isMainFrame: false, method: 'getTurn', args: {} })), 'forbidden');
});

test('an unknown method is refused as unknown_method', () => {
  for (const method of [
    'nope',
    '',
    'constructor',
    '__proto__',
    'toString',
    'hasOwnProperty',
    42,
    null,
    undefined,
    {},
  ]) {
    refusedWith(checkIpcCall(input({ method })), 'unknown_method');
  }
});

test('bad arguments are refused as invalid_argument', () => {
  const bad: [ApiMethod, unknown][] = [
    ['getInfo', { extra: 1 }],
    ['getSeries', {}],
    ['getSeries', { window: '1y' }],
    ['listTurns', { limit: 0 }],
    ['listTurns', { limit: 501 }],
    ['listTurns', { status: ['bogus'] }],
    ['listOutbox', { kind: 'nope' }],
    ['getTurn', {}],
    ['getTurn', { id: '' }],
    ['getTurn', { id: 7 }],
    ['getAudit', { limit: 1.5 }],
    ['previewAbort', { sessionKeys: [] }],
    ['abortSessions', { sessionKeys: 'all' }],
    ['replayTurns', { ids: [] }],
    ['retryRows', { ids: [''] }],
    ['terminateRows', { ids: Array.from({ length: 501 }, (_, i) => `r${i}`) }],
    ['prune', { all: true }],
    ['getStatus', 'x'],
    ['getStatus', ['x']],
  ];
  for (const [method, args] of bad) {
    refusedWith(checkIpcCall(input({ method, args })), 'invalid_argument');
  }
});

test('the preload uses the channel names of shared/api.ts and requires nothing but electron', () => {
  // Sandboxed preloads can only require('electron'), so the preload inlines the two names.
  const compiled = fs.readFileSync(path.join(__dirname, '..', '..', 'app', 'preload.js'), 'utf8');
  assert.ok(compiled.includes(`'${IPC_CALL}'`), 'IPC_CALL is inlined unchanged');
  assert.ok(compiled.includes(`'${IPC_EVENT}'`), 'IPC_EVENT is inlined unchanged');
  const required = [...compiled.matchAll(/require\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]);
  assert.deepEqual([...new Set(required)], ['electron']);
  assert.ok(!/\bimport\s*\(/.test(compiled), 'no dynamic import');
  // Exactly the ApiClient: the bridge exposes call and onEvent and nothing else.
  assert.match(compiled, /exposeInMainWorld\('lifecycleDesk', bridge\)/);
  assert.ok(!/ipcRenderer\s*[,}]/.test(compiled.split('const bridge')[1] ?? ''), 'ipcRenderer itself is not exposed');
});

test('the export channel: the same sender check, then the request validated with exportArgs', () => {
  const request = { list: 'outbox', format: 'csv', filter: { channel: 'telegram', dead: true } };
  const base = { frameUrl: RENDERER_URL, isMainFrame: true, expectedUrl: RENDERER_URL };
  const good = checkIpcExport({ ...base, request });
  assert.ok(good.ok, good.ok ? '' : good.error.message);
  assert.deepEqual(good.request, request);
  assert.ok(checkIpcExport({ ...base, request: { list: 'audit', format: 'json', filter: { by: 'alice' } } }).ok);

  // Who sends is checked first: a foreign frame learns nothing about the request's schema.
  for (const sender of [
    { isMainFrame: false },
    { frameUrl: 'https://evil.example/' },
    { frameUrl: null },
    { frameUrl: `${RENDERER_URL}/../../etc` },
  ]) {
    const check = checkIpcExport({ ...base, ...sender, request: { nonsense: true } });
    refusedWith(check as ReturnType<typeof checkIpcCall>, 'forbidden');
  }
  for (const bad of [
    undefined,
    null,
    'turns',
    { list: 'turns', format: 'xlsx', filter: {} },
    { list: 'turns', format: 'csv', filter: { limit: 5 } },
    { list: 'outbox', format: 'csv', filter: { kind: 'poem' } },
    { list: 'turns', format: 'csv', filter: {}, path: '/etc/passwd' },
    { list: 'turns', format: 'csv', filter: { search: 'x'.repeat(10_000) } },
  ]) {
    const check = checkIpcExport({ ...base, request: bad });
    refusedWith(check as ReturnType<typeof checkIpcCall>, 'invalid_argument');
  }
});

test('the preload sends exports on the export channel of shared/api.ts', () => {
  const compiled = fs.readFileSync(path.join(__dirname, '..', '..', 'app', 'preload.js'), 'utf8');
  assert.ok(compiled.includes(`'${IPC_EXPORT}'`), 'IPC_EXPORT is inlined unchanged');
  assert.match(compiled, /exportRows: \(request\) => electron_1\.ipcRenderer\.invoke\(IPC_EXPORT, request\)/);
});

test('the preload sends alerts on the notify channel of shared/api.ts', () => {
  const compiled = fs.readFileSync(path.join(__dirname, '..', '..', 'app', 'preload.js'), 'utf8');
  assert.ok(compiled.includes(`'${IPC_NOTIFY}'`), 'IPC_NOTIFY is inlined unchanged');
  assert.match(compiled, /notify: \(notice\) => electron_1\.ipcRenderer\.invoke\(IPC_NOTIFY, notice\)/);
});

test('the notify channel: the same sender check, then the notice (condition, lengths, plain text)', () => {
  const notice = { condition: 'stuck-turns', title: 'Stuck turns', body: '12 stuck turns (threshold 10) in x.db' };
  const base = { frameUrl: RENDERER_URL, isMainFrame: true, expectedUrl: RENDERER_URL };
  const good = checkIpcNotify({ ...base, notice });
  assert.ok(good.ok, good.ok ? '' : good.error.message);
  assert.deepEqual(good.notice, notice);
  for (const sender of [{ isMainFrame: false }, { frameUrl: 'https://evil.example/' }, { frameUrl: null }]) {
    refusedWith(checkIpcNotify({ ...base, ...sender, notice }) as ReturnType<typeof checkIpcCall>, 'forbidden');
  }
  for (const bad of [
    undefined,
    'Stuck turns',
    { ...notice, condition: 'reboot' },
    { ...notice, title: '' },
    { ...notice, title: 't'.repeat(121) },
    { ...notice, body: 'b'.repeat(501) },
    { ...notice, body: '<a href="https://evil.example/">click</a>' },
    { ...notice, body: 'null\u0000byte' },
    { ...notice, icon: '/etc/passwd' },
  ]) {
    refusedWith(checkIpcNotify({ ...base, notice: bad }) as ReturnType<typeof checkIpcCall>, 'invalid_argument');
  }
});
