// The dashboard's address (shared/routes.ts): one parser and one printer for the hash routes the
// renderer links to and the desktop shell's deep links map to.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { apiArgs } from '../../shared/api';
import { ID_MAX_LENGTH } from '../../shared/api-values';
import {
  deepLinkFor,
  parseRoute,
  printRoute,
  printTime,
  parseTime,
  routeOfDeepLink,
  SELECTION_URL_MAX,
  TEXT_MAX,
  type Route,
} from '../../shared/routes';

const LONG_ID = `01a230c8-35ef-70${'x'.repeat(300)}/?#&=,%+ é${'y'.repeat(20)}`;

const ROUTES: Route[] = [
  { view: 'overview' },
  { view: 'overview', window: '24h' },
  { view: 'turns' },
  {
    view: 'turns',
    filter: {
      status: ['running', 'failed_retryable'],
      channel: 'telegram',
      sessionKey: 'telegram:chat 42&x=1',
      stuck: true,
      dead: true,
      search: 'timeout "quoted" 100%',
      since: Date.UTC(2026, 11, 1, 20, 0),
      until: Date.UTC(2026, 11, 1, 21, 0, 5, 123),
      signature: 'ECONNRESET <n>',
      order: 'asc',
    },
    selection: ['a', 'b,c', LONG_ID],
  },
  {
    view: 'outbox',
    filter: {
      status: ['queued', 'expired'],
      turnId: LONG_ID,
      kind: 'direct',
      channel: 'slack',
      errorClass: 'permanent',
      signature: 'HTTP <n>',
      since: 0,
    },
  },
  { view: 'errors', since: '7d', channel: 'discord', subject: 'outbox' },
  { view: 'audit', filter: { by: 'desk:alice', action: 'replay-as-new', since: 1_000, until: 2_000 } },
  { view: 'turn', id: LONG_ID },
  { view: 'turn', id: 'with/slash?and#hash' },
];

test('every route survives print → parse → print unchanged', () => {
  for (const route of ROUTES) {
    const hash = printRoute(route);
    assert.deepEqual(parseRoute(hash), route, hash);
    assert.equal(printRoute(parseRoute(hash)), hash);
    // The hash is one URL fragment: nothing in it ends it or starts another part.
    assert.doesNotMatch(hash.slice(1), /[#\s]/, hash);
  }
});

test('only values that differ from the defaults are printed', () => {
  assert.equal(
    printRoute({ view: 'turns', filter: { order: 'desc', stuck: false, search: '', status: [] } }),
    '#/turns',
  );
  assert.equal(printRoute({ view: 'overview', window: '1h' }), '#/overview');
  assert.equal(printRoute({ view: 'errors', since: '24h', channel: '' }), '#/errors');
  assert.equal(printRoute({ view: 'audit', filter: {} }), '#/audit');
  assert.equal(
    printRoute({
      view: 'turns',
      filter: { status: ['failed_retryable', 'running'], channel: ' telegram ', order: 'asc' },
    }),
    '#/turns?status=running,failed_retryable&channel=telegram&order=asc',
  );
  assert.equal(
    printRoute({ view: 'turns', filter: { since: Date.UTC(2026, 11, 1, 20, 30) } }),
    '#/turns?since=2026-12-01T20:30Z',
  );
});

test('the format of the brief reads as written', () => {
  assert.deepEqual(
    parseRoute('#/turns?status=running,failed_retryable&channel=telegram&stuck=1&dead=1&search=abc&order=asc&sel=x,y'),
    {
      view: 'turns',
      filter: {
        status: ['running', 'failed_retryable'],
        channel: 'telegram',
        stuck: true,
        dead: true,
        search: 'abc',
        order: 'asc',
      },
      selection: ['x', 'y'],
    },
  );
  assert.deepEqual(parseRoute('#/overview?window=24h'), { view: 'overview', window: '24h' });
  assert.deepEqual(parseRoute('#/errors?since=7d&channel=slack&subject=turn'), {
    view: 'errors',
    since: '7d',
    channel: 'slack',
    subject: 'turn',
  });
  assert.deepEqual(parseRoute('#/audit?by=alice&action=retry&since=1000&until=2026-12-01T20:30:05Z'), {
    view: 'audit',
    filter: { by: 'alice', action: 'retry', since: 1000, until: Date.UTC(2026, 11, 1, 20, 30, 5) },
  });
  // Without the leading "#" (a deep link's body) and without the slash.
  assert.deepEqual(parseRoute('/turn/abc'), { view: 'turn', id: 'abc' });
  assert.deepEqual(parseRoute('#outbox?stuck=1'), { view: 'outbox', filter: { stuck: true } });
});

test('unknown and garbage parameters are ignored, invalid values dropped', () => {
  assert.deepEqual(parseRoute('#/turns?foo=bar&token=secret&code=123&status=nope,running,running&order=sideways'), {
    view: 'turns',
    filter: { status: ['running'] },
  });
  // Outbox statuses are not turn statuses, and the other way round.
  assert.deepEqual(parseRoute('#/turns?status=queued,expired'), { view: 'turns' });
  assert.deepEqual(parseRoute('#/outbox?status=running&kind=poem&errorClass=fatal&turnId='), { view: 'outbox' });
  assert.deepEqual(parseRoute('#/turns?stuck=0&dead=yes&since=yesterday&until=-5&search=%E0%A4%A'), { view: 'turns' });
  assert.deepEqual(parseRoute('#/overview?window=2h'), { view: 'overview' });
  assert.deepEqual(parseRoute('#/errors?since=1y&subject=both'), { view: 'errors' });
  assert.deepEqual(parseRoute('#/audit?action=delete&by='), { view: 'audit' });
  assert.deepEqual(parseRoute('#/nowhere?status=running'), { view: 'overview' });
  assert.deepEqual(parseRoute(''), { view: 'overview' });
  assert.deepEqual(parseRoute('#/turn/'), { view: 'turns' });
  assert.deepEqual(parseRoute('#/turn/%E0%A4%A'), { view: 'turns' });
  assert.deepEqual(parseRoute(`#/turn/${'z'.repeat(ID_MAX_LENGTH + 1)}`), { view: 'turns' });
  // A parameter given twice: the first one counts.
  assert.deepEqual(parseRoute('#/turns?channel=a&channel=b'), { view: 'turns', filter: { channel: 'a' } });
  // A value longer than the API takes is dropped, not cut (cut, it would match other rows).
  assert.deepEqual(parseRoute(`#/turns?search=${'s'.repeat(TEXT_MAX.search + 1)}`), { view: 'turns' });
  assert.deepEqual(parseRoute(`#/turns?search=${'s'.repeat(TEXT_MAX.search)}`).view, 'turns');
  assert.equal(printRoute({ view: 'turns', filter: { search: 's'.repeat(TEXT_MAX.search + 1) } }), '#/turns');
});

test('ids are encoded: a 337-character id, commas, slashes and % survive', () => {
  const id337 = `${'0123456789abcdef-'.repeat(19)}tail,with/odd?chars#%`.slice(0, 337);
  assert.equal(id337.length, 337);
  const turn = printRoute({ view: 'turn', id: id337 });
  assert.deepEqual(parseRoute(turn), { view: 'turn', id: id337 });
  const sel = printRoute({ view: 'outbox', selection: [id337, 'a,b', '%2C'] });
  assert.deepEqual(parseRoute(sel), { view: 'outbox', selection: [id337, 'a,b', '%2C'] });
  const longest = 'q'.repeat(ID_MAX_LENGTH);
  assert.deepEqual(parseRoute(printRoute({ view: 'turn', id: longest })), { view: 'turn', id: longest });
});

test('a selection carries at most 50 ids, each once', () => {
  const ids = Array.from({ length: 80 }, (_, i) => `id-${i}`);
  const parsed = parseRoute(printRoute({ view: 'turns', selection: [...ids, 'id-0'] }));
  assert.equal(parsed.view, 'turns');
  assert.deepEqual(parsed.view === 'turns' && parsed.selection, ids.slice(0, SELECTION_URL_MAX));
  const sel = ids.join(',');
  const fromUrl = parseRoute(`#/turns?sel=${sel},,id-1`);
  assert.deepEqual(fromUrl.view === 'turns' && fromUrl.selection, ids.slice(0, SELECTION_URL_MAX));
});

test('instants print as short UTC and read back exactly', () => {
  for (const ms of [0, 60_000, Date.UTC(2026, 0, 2, 3, 4, 5), Date.UTC(2026, 0, 2, 3, 4, 5, 6), 1_764_620_000_123]) {
    assert.equal(parseTime(printTime(ms)), ms, printTime(ms));
  }
  assert.equal(parseTime('1764620000123'), 1_764_620_000_123);
  assert.equal(parseTime('2026-12-01'), null);
  assert.equal(parseTime('2026-12-01T20:30'), null, 'local time is ambiguous: not accepted');
  assert.equal(parseTime('1e9'), null);
});

test('deep links name the same routes', () => {
  for (const route of ROUTES) assert.deepEqual(routeOfDeepLink(deepLinkFor(route)), route);
  assert.equal(deepLinkFor({ view: 'turns', filter: { stuck: true } }), 'lifecycle-desk://turns?stuck=1');
  assert.deepEqual(routeOfDeepLink('LIFECYCLE-DESK:///turn/abc'), { view: 'turn', id: 'abc' });
  assert.deepEqual(routeOfDeepLink('lifecycle-desk:outbox?stuck=1#ignored'), {
    view: 'outbox',
    filter: { stuck: true },
  });
  assert.deepEqual(routeOfDeepLink('lifecycle-desk://evil.example/../../etc'), { view: 'overview' });
  assert.equal(routeOfDeepLink('https://example.com/#/turns'), null);
});

/** A zod object's field, unwrapped from optional. */
function maxOf(schema: z.ZodType): number | undefined {
  const inner = schema instanceof z.ZodOptional ? (schema.unwrap() as z.ZodType) : schema;
  return inner instanceof z.ZodString ? (inner.maxLength ?? undefined) : undefined;
}

test("the URL's text limits are the API's", () => {
  const turns = apiArgs.listTurns.shape;
  const outbox = apiArgs.listOutbox.shape;
  const audit = apiArgs.getAudit.shape;
  assert.equal(maxOf(turns.search), TEXT_MAX.search);
  assert.equal(maxOf(outbox.search), TEXT_MAX.search);
  assert.equal(maxOf(turns.sessionKey), TEXT_MAX.sessionKey);
  assert.equal(maxOf(turns.channel), TEXT_MAX.channel);
  assert.equal(maxOf(outbox.channel), TEXT_MAX.channel);
  assert.equal(maxOf(turns.signature), TEXT_MAX.signature);
  assert.equal(maxOf(outbox.signature), TEXT_MAX.signature);
  assert.equal(maxOf(audit.by), TEXT_MAX.by);
  assert.equal(maxOf(outbox.turnId), ID_MAX_LENGTH);
});

test('every filter a route parses is one the API accepts', () => {
  for (const route of ROUTES) {
    if (route.view === 'turns') assert.ok(apiArgs.listTurns.safeParse(route.filter ?? {}).success);
    if (route.view === 'outbox') assert.ok(apiArgs.listOutbox.safeParse(route.filter ?? {}).success);
    if (route.view === 'audit') assert.ok(apiArgs.getAudit.safeParse(route.filter ?? {}).success);
  }
});
