// Export (main/api/export.ts) on a real SQLite file: CSV (RFC 4180, formula guard) and JSON of
// exactly the rows a filter matches, page by page over more rows than one page holds.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { csvField, exportChunks, exportFilename, parseExport, type ExportCount } from '../../main/api/export';
import { SqliteStore } from '../../main/store/sqlite/store';
import type { ExportRequest } from '../../shared/api';
import { ROUTE, makeClock, tempDir } from '../helpers/temp-db';

/** RFC 4180 back into rows of fields (the test's own reader, to check what a spreadsheet reads). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  assert.equal(field, '', 'the text ends with a line break');
  return rows;
}

async function collect(
  store: SqliteStore,
  request: ExportRequest,
): Promise<{ text: string; chunks: number; rows: number }> {
  const count: ExportCount = { rows: 0 };
  let text = '';
  let chunks = 0;
  for await (const chunk of exportChunks(store, parseExport(request).ok ? request : assert.fail('invalid'), count)) {
    text += chunk;
    chunks++;
  }
  return { text, chunks, rows: count.rows };
}

const TRICKY = ['=HYPERLINK("http://x")', '+1', '-2', '@SUM(A1)', 'a,b', 'say "hi"', 'two\nlines', '<b>html</b>'];

async function seeded(): Promise<{ store: SqliteStore; ids: string[] }> {
  const clock = makeClock();
  const store = SqliteStore.open(path.join(tempDir(), 'message-lifecycle.db'), { now: () => clock.t });
  const ids: string[] = [];
  for (let i = 0; i < 1_234; i++) {
    clock.advance(1);
    const text = TRICKY[i % TRICKY.length]!;
    const { turn } = await store.accept({
      channel: i % 2 ? 'telegram' : 'discord',
      sessionKey: `s-${i}`,
      externalId: text,
      payload: { text },
      route: ROUTE,
    });
    ids.push(turn.id);
  }
  return { store, ids };
}

test('CSV of a filter: a header, exactly the matching rows across pages, fields as written, formulas defused', async () => {
  const { store, ids } = await seeded();
  try {
    const { text, chunks, rows } = await collect(store, {
      list: 'turns',
      format: 'csv',
      filter: { channel: 'telegram' },
    });
    const [header, ...lines] = parseCsv(text);
    assert.equal(header![0], 'id');
    assert.ok(header!.includes('payload') && header!.includes('sessionKey') && header!.includes('stuckReason'));
    const telegram = ids.filter((_, i) => i % 2);
    assert.equal(rows, telegram.length);
    assert.equal(lines.length, telegram.length);
    assert.deepEqual(lines.map((l) => l[0]).sort(), [...telegram].sort());
    // The header, then one chunk per page of 500.
    assert.equal(chunks, 1 + Math.ceil(telegram.length / 500));
    const col = (name: string): number => header!.indexOf(name);
    for (const line of lines) {
      assert.equal(line.length, header!.length);
      assert.equal(line[col('channel')], 'telegram');
      const index = ids.indexOf(line[0]!);
      const written = TRICKY[index % TRICKY.length]!;
      // A cell that a spreadsheet would run as a formula starts with ' ; anything else is exact.
      assert.equal(line[col('externalId')], /^[=+\-@]/.test(written) ? `'${written}` : written);
      assert.equal(JSON.parse(line[col('payload')]!).text, written);
      assert.match(line[col('acceptedAt')]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
  } finally {
    await store.close();
  }
});

test('JSON: one array of the list items, exact values, in the order asked', async () => {
  const { store, ids } = await seeded();
  try {
    const { text, rows } = await collect(store, { list: 'turns', format: 'json', filter: {}, order: 'desc' });
    const items = JSON.parse(text) as { id: string; externalId: string; payload: string; acceptedAt: number }[];
    assert.equal(rows, ids.length);
    assert.deepEqual(
      items.map((t) => t.id),
      [...ids].reverse(),
    );
    assert.equal(items.at(-1)!.externalId, TRICKY[0]);
    const ascending = JSON.parse((await collect(store, { list: 'turns', format: 'json', filter: {} })).text) as {
      id: string;
    }[];
    assert.deepEqual(
      ascending.map((t) => t.id),
      ids,
    );
    assert.equal(typeof items[0]!.acceptedAt, 'number');
    assert.deepEqual(JSON.parse(items.at(-1)!.payload), { text: TRICKY[0] });
    // Nothing matches: still a valid document.
    assert.deepEqual(
      JSON.parse((await collect(store, { list: 'turns', format: 'json', filter: { channel: 'x' } })).text),
      [],
    );
    const empty = await collect(store, { list: 'outbox', format: 'csv', filter: {} });
    assert.equal(parseCsv(empty.text).length, 1, 'the header only');
  } finally {
    await store.close();
  }
});

test('an audit export holds the operator actions with their reasons', async () => {
  const { store, ids } = await seeded();
  try {
    await store.operatorReplay(ids[0]!, 'desk:alice', 'ticket 9001').catch(() => undefined);
    await store.operatorAbort('s-1', 'desk:alice', 'the user asked');
    const { text } = await collect(store, { list: 'audit', format: 'json', filter: { by: 'alice' } });
    const entries = JSON.parse(text) as { by: string; note: string | null }[];
    assert.ok(entries.length >= 1);
    assert.ok(entries.every((e) => e.by === 'desk:alice'));
    assert.ok(entries.some((e) => e.note === 'the user asked'));
  } finally {
    await store.close();
  }
});

test('csvField: RFC 4180 quoting and the formula guard; bad requests are refused with the reason', () => {
  assert.equal(csvField(null), '');
  assert.equal(csvField(-3), '-3', 'numbers are not formulas');
  assert.equal(csvField('-3'), "'-3");
  assert.equal(csvField('=1+1'), "'=1+1");
  assert.equal(csvField('a"b'), '"a""b"');
  assert.equal(csvField('a\r\nb'), '"a\r\nb"');
  assert.equal(csvField('=a,b'), `"'=a,b"`);
  assert.equal(csvField(0, 'time'), '1970-01-01T00:00:00.000Z');
  assert.equal(
    exportFilename({ list: 'turns', format: 'csv' }, Date.UTC(2026, 11, 1, 17)),
    'lifecycle-turns-2026-12-01.csv',
  );
  for (const bad of [
    {},
    { list: 'turns', format: 'xlsx', filter: {} },
    { list: 'sessions', format: 'csv', filter: {} },
    { list: 'turns', format: 'csv', filter: { sql: 'x' } },
    { list: 'audit', format: 'csv', filter: {}, order: 'asc' },
    null,
    'turns',
  ]) {
    const parsed = parseExport(bad);
    assert.equal(parsed.ok, false, JSON.stringify(bad));
    assert.match(!parsed.ok ? parsed.message : '', /^export: /);
  }
});
