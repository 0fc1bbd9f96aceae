import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, CDPSession, Page } from 'playwright-core';
import { launchBrowser, newPage, ROOT, serve, type Served } from '../e2e/harness';
import { readDbFile } from './generate';
import { envInt, heading, int, percentile, table } from './stats';

// The dashboard on a large file, in Debian's Chromium through Playwright against browser mode
// (opened --read-only: the bench writes nothing): Overview first paint, click-to-rows of each
// list and a few filters (split into the API call's time and the renderer's), row elements in
// the DOM and the JS heap while scrolling 10,000 rows. Prints figures beside their targets;
// asserts nothing.
//
//   node dist/test/bench/renderer.js [FILE]   (default: the read bench's file for BENCH_TURNS)
//   BENCH_RENDERER_RUNS   page loads / clicks per figure (default 5)
//   BENCH_RENDERER_ROWS   rows to scroll through (default 10,000)

const TARGET = { paintMs: 500, clickMs: 300, domRows: 200 } as const;
/** "Flat": past the warm-up, the heap may grow by this much at most over the rest of the scroll. */
const FLAT_HEAP_MB = 2;
const WARMUP_ROWS = 1_000;

/**
 * Installed in the page before its scripts run: a clock of when things were first drawn,
 * read back by the bench. "Drawn" is the frame after the DOM held it (rAF, then a task: the
 * frame was produced). Kept as source text: the bench's tsconfig has no DOM types.
 */
const PAGE_PROBE = `
(() => {
  performance.setResourceTimingBufferSize(100000);
  const probe = { inputAt: 0, countsAt: 0, countsPaintedAt: 0 };
  window.__probe = probe;
  // Element Timing: when the compositor actually presented the first count (the card is named
  // elementtiming="count:attention.stuckTurns" once its value is known).
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (e.identifier === 'count:attention.stuckTurns' && !probe.countsPaintedAt) probe.countsPaintedAt = e.renderTime || e.loadTime;
    }
  }).observe({ type: 'element', buffered: true });
  for (const type of ['click', 'keydown']) {
    window.addEventListener(type, (e) => { probe.inputAt = e.timeStamp; }, true);
  }
  const afterFrame = () => new Promise((r) => requestAnimationFrame(() => setTimeout(() => r(performance.now()), 0)));
  probe.afterFrame = afterFrame;
  const countsShown = () => {
    const el = document.querySelector('[data-count="attention.stuckTurns"]');
    return el && /\\d/.test(el.textContent || '');
  };
  const watch = new MutationObserver(() => {
    if (probe.countsAt || !countsShown()) return;
    probe.countsAt = -1;
    watch.disconnect();
    afterFrame().then((t) => { probe.countsAt = t; });
  });
  document.addEventListener('DOMContentLoaded', () =>
    watch.observe(document.body, { childList: true, subtree: true, characterData: true }));
  /** Resolves (on the frame after) once the table has rows for a list call made after the last input. */
  probe.rowsDrawn = (method, since) => new Promise((resolve) => {
    const t0 = since ?? probe.inputAt;
    const check = () => {
      const calls = performance.getEntriesByType('resource')
        .filter((e) => e.name.endsWith('/api/' + method) && e.startTime >= t0 - 1);
      const done = calls.length > 0 && calls.every((e) => e.responseEnd > 0);
      const table = document.querySelector('.table-scroll table');
      const ready = table && table.getAttribute('aria-busy') !== 'true'
        && !table.querySelector('tbody tr.placeholder')
        && (table.querySelector('tbody tr[data-row-id]') || document.querySelector('.table-scroll .empty'));
      if (done && ready) {
        setTimeout(() => {
          const total = performance.now() - t0;
          // The renderer's share: input to the first request, and the last answer to the frame.
          const first = Math.min(...calls.map((e) => e.startTime));
          const last = Math.max(...calls.map((e) => e.responseEnd));
          const own = (first - t0) + (performance.now() - last);
          resolve({ total, api: total - own, calls: calls.length });
        }, 0);
      } else requestAnimationFrame(check);
    };
    requestAnimationFrame(check);
  });
  /** Row elements in the table body (spacers aside). */
  probe.domRows = () => document.querySelectorAll('.table-scroll tbody tr:not(.spacer)').length;
  /** Scrolls the table down until the top visible row is at index \`to\` (or the end), step by step. */
  probe.scrollTo = async (to) => {
    const scroller = document.querySelector('.table-scroll');
    let maxRows = 0;
    let stalls = 0;
    const topIndex = () => {
      const top = scroller.getBoundingClientRect().top;
      for (const tr of scroller.querySelectorAll('tbody tr[aria-rowindex]')) {
        if (tr.getBoundingClientRect().bottom > top + 40) return Number(tr.getAttribute('aria-rowindex')) - 2;
      }
      return -1;
    };
    for (;;) {
      const before = scroller.scrollTop;
      scroller.scrollTop = before + scroller.clientHeight;
      await afterFrame();
      maxRows = Math.max(maxRows, probe.domRows());
      // Wait for whatever the new position needs (a page loading) before going on.
      for (let i = 0; i < 500 && (scroller.querySelector('tbody tr.placeholder') || document.querySelector('.table-footer button:disabled')); i++) {
        await afterFrame();
        maxRows = Math.max(maxRows, probe.domRows());
      }
      const at = topIndex();
      if (at >= to) return { at, maxRows };
      if (scroller.scrollTop === before) {
        if (++stalls > 50) return { at, maxRows };
        await new Promise((r) => setTimeout(r, 20));
      } else stalls = 0;
    }
  };
})();
`;

interface Drawn {
  total: number;
  api: number;
  calls: number;
}

export interface RendererReport {
  paint: {
    counts: number[];
    dom: number[];
    fcp: number[];
    status: number[];
    dcl: number[];
    warm: number[];
    /** First paint of a plain text file from the same server in a fresh context: the browser's floor. */
    floor: number[];
  };
  clicks: { label: string; runs: Drawn[] }[];
  scroll: { rows: number; maxDomRows: number; heapMb: number[]; nodes: number[]; backToTop: Drawn | null };
}

/** The renderer the bench measures is the one in this tree: built now (well under a second). */
function buildRenderer(): void {
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build-renderer.mjs')], { cwd: ROOT, stdio: 'pipe' });
}

/** A function, not a string: a string predicate would be eval'd in the page, which its CSP refuses. */
const countsDrawn = (): boolean =>
  ((globalThis as unknown as { __probe?: { countsAt: number } }).__probe?.countsAt ?? 0) > 0 &&
  ((globalThis as unknown as { __probe?: { countsPaintedAt: number } }).__probe?.countsPaintedAt ?? 0) > 0;

const median = (xs: number[]): number =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );
const worst = (xs: number[]): number => Math.max(...xs);

async function heap(cdp: CDPSession): Promise<{ mb: number; nodes: number }> {
  await cdp.send('HeapProfiler.collectGarbage');
  const { metrics } = await cdp.send('Performance.getMetrics');
  const get = (name: string): number => metrics.find((m) => m.name === name)?.value ?? NaN;
  return { mb: get('JSHeapUsedSize') / 2 ** 20, nodes: get('Nodes') };
}

async function overviewPaint(browser: Browser, served: Served, runs: number): Promise<RendererReport['paint']> {
  const out: RendererReport['paint'] = { counts: [], dom: [], fcp: [], status: [], dcl: [], warm: [], floor: [] };
  for (let i = 0; i < runs; i++) {
    {
      const { context, page } = await newPage(browser, { width: 1280, height: 900 });
      await page.goto(`${served.origin}/app.css`);
      await page.waitForFunction(
        () =>
          (
            globalThis as unknown as { performance: { getEntriesByType(t: string): unknown[] } }
          ).performance.getEntriesByType('paint').length > 0,
        undefined,
        { polling: 50 },
      );
      out.floor.push(
        (await page.evaluate("performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN")) as number,
      );
      await context.close();
    }
    // A fresh context each time: no HTTP cache, no session storage, like a new window.
    const { context, page } = await newPage(browser, { width: 1280, height: 900 });
    await context.addInitScript(PAGE_PROBE);
    await page.goto(await served.link());
    await page.waitForFunction(countsDrawn, undefined, { timeout: 60_000, polling: 50 });
    const m = (await page.evaluate(`(() => {
      const fcp = performance.getEntriesByName('first-contentful-paint')[0];
      const status = performance.getEntriesByType('resource').find((e) => e.name.endsWith('/api/getStatus'));
      const nav = performance.getEntriesByType('navigation')[0];
      return { counts: window.__probe.countsPaintedAt, dom: window.__probe.countsAt, fcp: fcp ? fcp.startTime : NaN, dcl: nav ? nav.domContentLoadedEventEnd : NaN,
        status: status ? status.responseEnd - status.startTime : NaN };
    })()`)) as { counts: number; dom: number; fcp: number; status: number; dcl: number };
    out.dom.push(m.dom);
    out.dcl.push(m.dcl);
    out.counts.push(m.counts);
    out.fcp.push(m.fcp);
    out.status.push(m.status);
    // Reopened in the same window: the script revalidated (304) and its compiled code cached.
    await page.reload();
    await page.waitForFunction(countsDrawn, undefined, { timeout: 60_000, polling: 50 });
    out.warm.push((await page.evaluate('window.__probe.countsPaintedAt')) as number);
    await context.close();
  }
  return out;
}

/** Runs `act` (a click or a key in the page), then waits until `method`'s rows are drawn. */
async function timed(page: Page, method: 'listTurns' | 'listOutbox', act: () => Promise<void>): Promise<Drawn> {
  await page.evaluate('performance.clearResourceTimings()');
  await act();
  return (await page.evaluate(`window.__probe.rowsDrawn(${JSON.stringify(method)})`)) as Drawn;
}

async function clickToRows(page: Page, served: Served, runs: number): Promise<RendererReport['clicks']> {
  const nav = (name: string) =>
    page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: new RegExp(`^${name}`) });
  const chip = (label: string) =>
    page.getByRole('group', { name: 'Status' }).getByRole('button', { name: label, exact: true });
  const reset = () => page.getByRole('button', { name: 'Reset filters' }).click();
  const textFilter = async (name: string, value: string): Promise<void> => {
    const box = page.getByRole(name === 'Search' ? 'searchbox' : 'textbox', { name, exact: true });
    await box.fill(value);
    await box.press('Enter');
  };
  type Scenario = {
    label: string;
    method: 'listTurns' | 'listOutbox';
    /** Puts the page where the click starts from (unmeasured). */
    setup(): Promise<void>;
    act(): Promise<void>;
  };
  const fromOverview = async (): Promise<void> => {
    await nav('Overview').click();
    await page.locator('[data-count="attention.stuckTurns"]').waitFor();
  };
  const onTurns = async (): Promise<void> => {
    await nav('Turns').click();
    await reset();
    await page.evaluate('window.__probe.rowsDrawn("listTurns", 0)');
  };
  const onOutbox = async (): Promise<void> => {
    await nav('Outbox').click();
    await reset();
    await page.evaluate('window.__probe.rowsDrawn("listOutbox", 0)');
  };
  const scenarios: Scenario[] = [
    {
      label: 'Turns (nav click from the Overview)',
      method: 'listTurns',
      setup: fromOverview,
      act: () => nav('Turns').click(),
    },
    {
      label: 'Outbox (nav click from the Overview)',
      method: 'listOutbox',
      setup: fromOverview,
      act: () => nav('Outbox').click(),
    },
    {
      label: 'Turns: status failed terminal',
      method: 'listTurns',
      setup: onTurns,
      act: () => chip('failed terminal').click(),
    },
    {
      label: 'Turns: statuses running + delivery pending',
      method: 'listTurns',
      setup: async () => {
        await onTurns();
        await chip('running').click();
        await page.evaluate('window.__probe.rowsDrawn("listTurns")');
      },
      act: () => chip('delivery pending').click(),
    },
    {
      label: 'Turns: channel telegram',
      method: 'listTurns',
      setup: onTurns,
      act: () => textFilter('Channel', 'telegram'),
    },
    {
      label: 'Turns: stuck only',
      method: 'listTurns',
      setup: onTurns,
      act: () => page.getByRole('checkbox', { name: 'Stuck only' }).check(),
    },
    {
      label: 'Turns: oldest first',
      method: 'listTurns',
      setup: onTurns,
      act: () => page.locator('thead .sort-button').click(),
    },
    {
      label: 'Turns: search "agent:main:slack:"',
      method: 'listTurns',
      setup: onTurns,
      act: () => textFilter('Search', 'agent:main:slack:'),
    },
    {
      label: 'Outbox: status failed retryable',
      method: 'listOutbox',
      setup: onOutbox,
      act: () => chip('failed retryable').click(),
    },
    {
      label: 'Outbox: channel discord',
      method: 'listOutbox',
      setup: onOutbox,
      act: () => textFilter('Channel', 'discord'),
    },
    {
      label: 'Outbox: kind tool',
      method: 'listOutbox',
      setup: onOutbox,
      act: () =>
        page
          .getByRole('combobox', { name: 'Kind' })
          .selectOption('tool')
          .then(() => undefined),
    },
  ];
  const out: RendererReport['clicks'] = [];
  for (const s of scenarios) {
    const r: Drawn[] = [];
    for (let i = 0; i < runs; i++) {
      // Each run starts from a fresh load for the nav clicks: the lists hold no rows yet.
      if (s.setup === fromOverview) {
        await page.goto('about:blank');
        await page.goto(await served.link());
      }
      await s.setup();
      r.push(await timed(page, s.method, s.act));
    }
    out.push({ label: s.label, runs: r });
  }
  return out;
}

async function scrolling(page: Page, served: Served, rows: number): Promise<RendererReport['scroll']> {
  await page.goto('about:blank');
  await page.goto(await served.link());
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('link', { name: /^Turns/ })
    .click();
  await page.evaluate('window.__probe.rowsDrawn("listTurns", 0)');
  const heapMb: number[] = [];
  const nodes: number[] = [];
  const sample = async (): Promise<void> => {
    const h = await heap(cdp);
    heapMb.push(h.mb);
    nodes.push(h.nodes);
  };
  await sample();
  let maxDomRows = (await page.evaluate('window.__probe.domRows()')) as number;
  let at = 0;
  // Samples after the first page, after a warm-up screenful of pages (code compiled, caches
  // filled: paid once), half way and at the end.
  for (const to of [WARMUP_ROWS, Math.floor(rows / 2), rows]) {
    const r = (await page.evaluate(`window.__probe.scrollTo(${to})`)) as { at: number; maxRows: number };
    at = r.at;
    maxDomRows = Math.max(maxDomRows, r.maxRows);
    await sample();
  }
  // Back to the top: rows dropped on the way down are fetched again by their cursor.
  let backToTop: Drawn | null = null;
  backToTop = (await page.evaluate(`(async () => {
    const t0 = performance.now();
    performance.clearResourceTimings();
    document.querySelector('.table-scroll').scrollTop = 0;
    await window.__probe.afterFrame();
    while (document.querySelector('.table-scroll tbody tr.placeholder')) await window.__probe.afterFrame();
    const calls = performance.getEntriesByType('resource').filter((e) => e.name.endsWith('/api/listTurns'));
    return { total: performance.now() - t0, api: calls.reduce((a, e) => a + e.responseEnd - e.startTime, 0), calls: calls.length };
  })()`)) as Drawn;
  maxDomRows = Math.max(maxDomRows, (await page.evaluate('window.__probe.domRows()')) as number);
  await cdp.detach();
  return { rows: at, maxDomRows, heapMb, nodes, backToTop };
}

function printReport(file: string, r: RendererReport): void {
  const f = (n: number): string => (Number.isFinite(n) ? `${n.toFixed(0)} ms` : '-');
  const verdict = (value: number, max: number): string => (value < max ? 'PASS' : 'MISS');
  console.log(`file: ${file}`);
  console.log(
    table(
      ['Overview first paint', 'median', 'max', 'target', ''],
      [
        [
          'counts painted (navigationStart →)',
          f(median(r.paint.counts)),
          f(worst(r.paint.counts)),
          `< ${TARGET.paintMs} ms`,
          verdict(worst(r.paint.counts), TARGET.paintMs),
        ],
        ['  counts in the DOM (the frame after)', f(median(r.paint.dom)), f(worst(r.paint.dom)), 'for information', ''],
        [
          'counts painted, reloaded (script cached)',
          f(median(r.paint.warm)),
          f(worst(r.paint.warm)),
          `< ${TARGET.paintMs} ms`,
          verdict(worst(r.paint.warm), TARGET.paintMs),
        ],
        ['first contentful paint', f(median(r.paint.fcp)), f(worst(r.paint.fcp)), 'for information', ''],
        [
          '  the browser alone (a text file, fresh context)',
          f(median(r.paint.floor)),
          f(worst(r.paint.floor)),
          'floor',
          '',
        ],
        [
          '  script loaded and run (DOMContentLoaded)',
          f(median(r.paint.dcl)),
          f(worst(r.paint.dcl)),
          'for information',
          '',
        ],
        ['  getStatus (request → response)', f(median(r.paint.status)), f(worst(r.paint.status)), 'server', ''],
      ],
    ),
  );
  console.log(`(${r.paint.counts.length} loads, each in a fresh browser context, then reloaded once)\n`);
  console.log(
    table(
      ['click → rows drawn', 'total median', 'total max', 'API call', 'renderer', 'target', ''],
      r.clicks.map((c) => {
        const totals = c.runs.map((x) => x.total);
        const apis = c.runs.map((x) => x.api);
        const own = c.runs.map((x) => x.total - x.api);
        return [
          c.label,
          f(median(totals)),
          f(worst(totals)),
          f(median(apis)),
          f(median(own)),
          `< ${TARGET.clickMs} ms`,
          verdict(worst(totals), TARGET.clickMs) +
            (worst(own) < TARGET.clickMs && worst(totals) >= TARGET.clickMs ? ' (renderer ok; server slow)' : ''),
        ];
      }),
    ),
  );
  console.log(
    `(API call: from the first list request sent to the last answer, seen in the page (server, queueing and loopback);\n renderer: the rest, i.e. input to request plus answer to rows drawn; medians of ${r.clicks[0]?.runs.length ?? 0} runs each)\n`,
  );
  const [h0, h1, h2, h3] = r.scroll.heapMb;
  const growth = Math.max(h2 ?? NaN, h3 ?? NaN) - (h1 ?? NaN);
  const total = Math.max(h1 ?? NaN, h2 ?? NaN, h3 ?? NaN) - (h0 ?? NaN);
  console.log(
    table(
      ['scrolling the Turns table', 'measured', 'target', ''],
      [
        [
          'rows scrolled through',
          int(r.scroll.rows),
          '10,000',
          r.scroll.rows >= 10_000 ? '' : 'fewer rows in the file',
        ],
        [
          'row elements in the DOM (max seen)',
          int(r.scroll.maxDomRows),
          `< ${TARGET.domRows}`,
          verdict(r.scroll.maxDomRows, TARGET.domRows),
        ],
        [
          `JS heap at rows 0 / ${int(WARMUP_ROWS)} / half / end`,
          r.scroll.heapMb.map((m) => `${m.toFixed(1)} MB`).join(' / '),
          'flat',
          '',
        ],
        [
          `  growth from row ${int(WARMUP_ROWS)} to the end (max − at ${int(WARMUP_ROWS)})`,
          `${growth.toFixed(1)} MB`,
          `< ${FLAT_HEAP_MB} MB`,
          verdict(growth, FLAT_HEAP_MB),
        ],
        ['  growth from row 0 (max − first page)', `${total.toFixed(1)} MB`, 'for information', ''],
        [`DOM nodes at rows 0 / ${int(WARMUP_ROWS)} / half / end`, r.scroll.nodes.map(int).join(' / '), 'flat', ''],
        [
          'back to the top: rows drawn again',
          r.scroll.backToTop ? `${f(r.scroll.backToTop.total)} (${r.scroll.backToTop.calls} calls)` : '-',
          'for information',
          '',
        ],
      ],
    ),
  );
  console.log('(heap: CDP Performance.getMetrics JSHeapUsedSize after HeapProfiler.collectGarbage)');
  console.log('(painted: Element Timing renderTime of the first count card, i.e. when the frame was presented)');
}

/** The renderer section of `npm run bench` on `file` (opened read-only). */
export async function rendererBench(file: string): Promise<RendererReport> {
  if (!fs.existsSync(file)) throw new Error(`no database at ${file}`);
  heading('renderer (Chromium, browser mode, read-only)');
  buildRenderer();
  const runs = envInt('BENCH_RENDERER_RUNS', 5);
  const rows = envInt('BENCH_RENDERER_ROWS', 10_000);
  const served = await serve(file, ['--read-only']);
  const browser = await launchBrowser();
  try {
    const paint = await overviewPaint(browser, served, runs);
    const { context, page } = await newPage(browser, { width: 1280, height: 900 });
    page.setDefaultTimeout(60_000);
    await context.addInitScript(PAGE_PROBE);
    const clicks = await clickToRows(page, served, runs);
    const scroll = await scrolling(page, served, rows);
    await context.close();
    const report = { paint, clicks, scroll };
    printReport(file, report);
    return report;
  } finally {
    await browser.close();
    await served.stop();
  }
}

if (require.main === module) {
  const file = process.argv[2] ?? readDbFile(envInt('BENCH_TURNS', 1_000_000));
  rendererBench(file).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
