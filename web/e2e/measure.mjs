// `npm run measure`: what a first visit to the storefront costs, in headless Chromium against the
// binary in E2E_BINARY — gzipped JS+CSS of the initial route, first contentful paint, time to
// interactive (products shown and no long task pending), requests on first load. Median of 5
// cold visits (a new browser context each: empty cache). Numbers, never assertions.
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { CHROMIUM_FLAGS, startServer } from './harness.mjs';

const RUNS = 5;
const server = await startServer();
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_FLAGS });
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const runs = [];
try {
  for (let n = 0; n < RUNS; n++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    // Marks the moment the first product card is in the DOM, from inside the page.
    await page.addInitScript(() => {
      new MutationObserver((_, observer) => {
        if (document.querySelector('[data-testid="product-card"]')) {
          window.__cardsAt = performance.now();
          observer.disconnect();
        }
      }).observe(document, { childList: true, subtree: true });
      window.__longTasksEnd = 0;
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) window.__longTasksEnd = Math.max(window.__longTasksEnd, e.startTime + e.duration);
      }).observe({ type: 'longtask', buffered: true });
    });
    const requests = [];
    const assets = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('response', async (r) => {
      const type = r.request().resourceType();
      if (type === 'script' || type === 'stylesheet') assets.push(r.body().then((b) => ({ url: r.url(), raw: b.length, gzip: gzipSync(b).length })));
    });
    await page.goto(server.base, { waitUntil: 'networkidle' });
    await page.getByTestId('product-card').first().waitFor();
    const timing = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      const fcp = performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN;
      return { fcp, tti: Math.max(nav.domContentLoadedEventEnd, window.__cardsAt ?? NaN, window.__longTasksEnd) };
    });
    const files = await Promise.all(assets);
    runs.push({ ...timing, requests: requests.length, gzip: files.reduce((s, f) => s + f.gzip, 0), raw: files.reduce((s, f) => s + f.raw, 0), files: files.length });
    await context.close();
  }
} finally {
  await browser.close();
  await server.stop();
}
const kb = (b) => (b / 1024).toFixed(1);
const m = (k) => median(runs.map((r) => r[k]));
console.log(`storefront, first visit (median of ${RUNS} cold loads, ${process.env.E2E_BINARY ?? 'target/debug/agora'}):`);
console.log(`  initial route JS+CSS: ${kb(m('gzip'))} KiB gzipped (${kb(m('raw'))} KiB raw, ${m('files')} files)`);
console.log(`  first contentful paint: ${m('fcp').toFixed(0)} ms`);
console.log(`  time to interactive (products shown, no long task pending): ${m('tti').toFixed(0)} ms`);
console.log(`  requests on first load: ${m('requests')}`);
