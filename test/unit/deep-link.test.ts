// lifecycle-desk:// deep links → the app's own document (app/deep-link.ts, pure: no Electron).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { appUrlForDeepLink, appUrlForView, deepLinkInArgv, protocolClientArgs } from '../../app/deep-link';
import { isAppDocument, RENDERER_URL } from '../../app/policy';
import Module from 'node:module';
import type * as MenuModule from '../../app/menu';
import { deepLinkFor, parseRoute, type Route } from '../../shared/routes';

type Item = { id?: string; label?: string; accelerator?: string; click?: () => void; submenu?: Item[] };

/** app/menu.ts against a stand-in for 'electron' (its Menu keeps the template it was given). */
function loadMenu(): typeof MenuModule {
  const mod = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
  const before = mod._load;
  mod._load = function (this: unknown, request: string, ...rest: unknown[]) {
    if (request === 'electron') return { Menu: { buildFromTemplate: (template: Item[]) => ({ template }) } };
    return before.call(this, request, ...rest);
  };
  try {
    return Module.createRequire(__filename)('../../app/menu') as typeof MenuModule;
  } finally {
    mod._load = before;
  }
}

const map = (link: string): string | null => appUrlForDeepLink(link, RENDERER_URL);

test('known views map to the renderer document with the same route', () => {
  assert.equal(
    map('lifecycle-desk://turns?status=running,failed_retryable&channel=telegram'),
    `${RENDERER_URL}#/turns?status=running,failed_retryable&channel=telegram`,
  );
  assert.equal(map('lifecycle-desk://turn/abc-123'), `${RENDERER_URL}#/turn/abc-123`);
  assert.equal(map('lifecycle-desk://overview?window=7d'), `${RENDERER_URL}#/overview?window=7d`);
  assert.equal(map('lifecycle-desk://errors?since=1h&subject=turn'), `${RENDERER_URL}#/errors?since=1h&subject=turn`);
  assert.equal(map('lifecycle-desk://audit?action=abort'), `${RENDERER_URL}#/audit?action=abort`);
  assert.equal(map('lifecycle-desk://outbox?stuck=1&sel=r1,r2'), `${RENDERER_URL}#/outbox?stuck=1&sel=r1,r2`);
  // Three slashes, none, upper case, a trailing fragment.
  assert.equal(map('lifecycle-desk:///turns?stuck=1'), `${RENDERER_URL}#/turns?stuck=1`);
  assert.equal(map('lifecycle-desk:turns?stuck=1'), `${RENDERER_URL}#/turns?stuck=1`);
  assert.equal(map('Lifecycle-Desk://turns?stuck=1#x'), `${RENDERER_URL}#/turns?stuck=1`);
});

test('every link the app copies opens the same route in the app', () => {
  const long = `${'0193a4f2-7c1e-7'.repeat(22)}z`.slice(0, 337);
  const routes: Route[] = [
    { view: 'turn', id: long },
    { view: 'turns', filter: { search: 'a&b=c #1', order: 'asc' }, selection: [long, 'x,y'] },
    { view: 'outbox', filter: { turnId: long, errorClass: 'retryable' } },
  ];
  for (const route of routes) {
    const url = map(deepLinkFor(route));
    assert.ok(url);
    assert.deepEqual(parseRoute(new URL(url).hash), route);
  }
});

test('anything else is the overview, never a page outside the app document', () => {
  const hostile = [
    'lifecycle-desk://evil.example/',
    'lifecycle-desk://../../etc/passwd',
    'lifecycle-desk://%2e%2e/app/main.js',
    'lifecycle-desk://turns/../../x?status=running',
    'lifecycle-desk://https://evil.example/',
    'lifecycle-desk://javascript:alert(1)',
    'lifecycle-desk://turn/',
    `lifecycle-desk://turn/${'x'.repeat(2_000)}`,
    'lifecycle-desk://turns?status=<script>&search=' + 'q'.repeat(600),
    'lifecycle-desk://\u0000',
  ];
  for (const link of hostile) {
    const url = map(link);
    assert.ok(url, link);
    assert.ok(url.startsWith(`${RENDERER_URL}#/`), url);
    assert.ok(isAppDocument(url, RENDERER_URL), url);
    assert.ok(['overview', 'turns'].includes(parseRoute(new URL(url).hash).view), url);
  }
  assert.equal(map('lifecycle-desk://turns/../../x?status=running'), `${RENDERER_URL}#/turns?status=running`);
  assert.equal(map('lifecycle-desk://evil.example/'), `${RENDERER_URL}#/overview`);
  // Values are checked and printed afresh: nothing the parser does not know gets through.
  assert.equal(map('lifecycle-desk://turns?status=<script>&x=1&order=asc'), `${RENDERER_URL}#/turns?order=asc`);
  // Not a deep link: not ours to open.
  for (const other of [
    'https://example.com/#/turns',
    'app://desk/index.html#/turns',
    'file:///etc/passwd',
    '',
    'turns',
  ]) {
    assert.equal(map(other), null, other);
  }
});

test('the deep link in a process argv: the last one, whatever the switches around it', () => {
  assert.equal(
    deepLinkInArgv(['/opt/Lifecycle Desk/lifecycle-desk', 'lifecycle-desk://turns?stuck=1']),
    'lifecycle-desk://turns?stuck=1',
  );
  assert.equal(
    deepLinkInArgv([
      'electron',
      '--inspect=0',
      '/src/dist/app/main.js',
      '--db',
      '/x.db',
      'lifecycle-desk://a',
      'LIFECYCLE-DESK://turn/b',
    ]),
    'LIFECYCLE-DESK://turn/b',
  );
  assert.equal(deepLinkInArgv(['electron', 'dist/app/main.js', '--db', 'https://lifecycle-desk.example/']), null);
  assert.equal(deepLinkInArgv([]), null);
});

test('the View menu lists every view, by the routes the renderer prints', () => {
  const { buildMenu } = loadMenu();
  const asked: string[] = [];
  const noop = (): void => undefined;
  const menu = buildMenu(
    {
      openDatabase: noop,
      openReadOnly: noop,
      openPostgres: noop,
      toggleRecovery: noop,
      openDemo: noop,
      reload: noop,
      about: noop,
      navigate: (view) => asked.push(view),
      devTools: false,
    },
    'linux',
  ) as unknown as { template: Item[] };
  const view = menu.template.find((m) => m.label === '&View')?.submenu ?? [];
  const items = view.filter((i) => i.id?.startsWith('view-'));
  assert.deepEqual(
    items.map((i) => [i.id, i.label, i.accelerator]),
    [
      ['view-overview', 'Overview', 'CmdOrCtrl+1'],
      ['view-turns', 'Turns', 'CmdOrCtrl+2'],
      ['view-outbox', 'Outbox', 'CmdOrCtrl+3'],
      ['view-errors', 'Errors', 'CmdOrCtrl+5'],
      ['view-audit', 'Audit', 'CmdOrCtrl+4'],
    ],
  );
  for (const i of items) i.click?.();
  assert.deepEqual(asked, ['overview', 'turns', 'outbox', 'errors', 'audit']);
  assert.equal(appUrlForView('errors', RENDERER_URL), `${RENDERER_URL}#/errors`);
  assert.equal(appUrlForView('turns', RENDERER_URL), `${RENDERER_URL}#/turns`);
});

test('registering the scheme: the packaged app alone, the source tree with its script', () => {
  assert.deepEqual(protocolClientArgs(true, '/opt/app/lifecycle-desk', '/ignored'), {});
  assert.deepEqual(protocolClientArgs(false, '/usr/bin/electron', '/src/dist/app/main.js'), {
    path: '/usr/bin/electron',
    args: ['/src/dist/app/main.js'],
  });
  assert.deepEqual(protocolClientArgs(false, '/usr/bin/electron', undefined), {});
});
