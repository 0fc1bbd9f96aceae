import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';

// The renderer's first bundle is what the Overview parses before it paints (issue 10's first
// paint): zod (the API's argument schemas) belongs to the main process only, and the charts are
// a chunk of their own. A value import from shared/api.ts instead of shared/api-values.ts pulled
// zod in once (app.js 860 KiB instead of 389).

const RENDERER = path.resolve(__dirname, '..', '..', 'renderer');

test('the first renderer bundle carries neither zod nor the charts', (t) => {
  const app = path.join(RENDERER, 'app.js');
  if (!fs.existsSync(app)) return t.skip('dist/renderer/app.js not built (npm test builds it first)');
  const js = fs.readFileSync(app, 'utf8');
  assert.doesNotMatch(js, /ZodError|\$ZodType/, 'zod is in app.js: import plain values from shared/api-values.ts');
  assert.doesNotMatch(js, /recharts|ResponsiveContainer/, 'the charts are in app.js, not in their chunk');
});
