// The public portal in headless Chromium (playwright-core, Debian's
// chromium), without JavaScript as a reader may have it: the home page, an
// agency, a search, a decision, an annual report and a search of the
// public lists, each checked and
// photographed (a phone-sized home page too).
// node scripts/portal-screenshots.cjs BASE_URL OUT_DIR
// Prints one line per screenshot: NAME PATH.
'use strict';
const { chromium } = require('playwright-core');
const path = require('path');

const [base, out] = process.argv.slice(2);

/// A policy the page broke (the security headers forbid inline script and style) is an error.
function watchPolicy(page) {
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) console.error(`policy violated on ${page.url()}: ${m.text()}`);
  });
}

async function visit(page, name, url, expect) {
  const response = await page.goto(url);
  if (!response || response.status() !== 200) {
    throw new Error(`${url}: status ${response && response.status()}`);
  }
  const text = await page.textContent('body');
  if (!text.includes(expect)) {
    throw new Error(`${url}: "${expect}" not on the page`);
  }
  const file = path.join(out, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`${name} ${file}`);
}

/// The first link on the current page whose address matches `pattern`.
async function firstLink(page, pattern) {
  const hrefs = await page.$$eval('a', (as) => as.map((a) => a.getAttribute('href')));
  const href = hrefs.find((h) => h && pattern.test(h));
  if (!href) throw new Error(`no link like ${pattern} on ${page.url()}`);
  return `${base}${href}`;
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  watchPolicy(page);
  // Every asset from the server itself: nothing else may be asked for.
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (!url.startsWith(base)) {
      console.error(`outside request: ${url}`);
      return route.abort();
    }
    return route.continue();
  });
  await visit(page, 'home', `${base}/`, '最新公示的执法决定');
  await visit(page, 'search', `${base}/decisions?q=${encodeURIComponent('保质期')}`, '共');
  const decision = await firstLink(page, /^\/decisions\/\d+$/);
  await visit(page, 'decision', decision, '决定日期');
  // The agency that made it.
  const agency = await firstLink(page, /^\/agencies\/\d+$/);
  await visit(page, 'agency', agency, '执法人员');
  await page.goto(`${base}/reports`);
  const report = await firstLink(page, /^\/reports\/\d{4}$/);
  await visit(page, 'annual-report', report, '年度行政执法统计年报');
  await visit(page, 'search-lists', `${base}/search?q=${encodeURIComponent('许可')}`, '服务指南');
  const phone = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 844 }, isMobile: true });
  const small = await phone.newPage();
  watchPolicy(small);
  await visit(small, 'home-phone', `${base}/`, '最新公示的执法决定');
  const wide = await small.evaluate(() => document.documentElement.scrollWidth);
  if (wide > 400) throw new Error(`the home page is ${wide}px wide on a phone`);
  await browser.close();
})().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
