// The console's registry pages in headless Chromium (playwright-core, Debian's
// chromium): sign in as an agency's head, open each of its lists from the
// agency's page, export one to Excel with the page's link, import that file
// with the page's form, and screenshot the list at 1280 and 390 px wide.
// node scripts/console-lists.cjs BASE_URL USERNAME PASSWORD SLUG OUT_DIR
// Prints the import's notice.
'use strict';
const { chromium } = require('playwright-core');
const path = require('path');

const [base, username, password, slug, out] = process.argv.slice(2);

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--lang=zh-CN', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({
    acceptDownloads: true, locale: 'zh-CN', viewport: { width: 1280, height: 900 },
  });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) console.error(`policy violated on ${page.url()}: ${m.text()}`);
  });
  await page.goto(`${base}/console/login`);
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForNavigation(), page.click('form button[type=submit]:has-text("登录")')]);
  // The agency's page lists every registry; each opens.
  await page.click('a[href^="/console/agencies/"]');
  const lists = await page.$$eval('ul.lists a', (as) => as.map((a) => a.getAttribute('href')));
  if (lists.length < 5) throw new Error(`the agency's page lists ${lists.length} lists`);
  const agencyPage = page.url();
  for (const href of lists) {
    const r = await page.goto(`${base}${href}`);
    if (r.status() !== 200) throw new Error(`${href}: ${r.status()}`);
  }
  const list = lists.find((h) => h.endsWith(`/${slug}`));
  if (!list) throw new Error(`no list ${slug} on ${agencyPage}`);
  await page.goto(`${base}${list}`);
  const before = await page.$$eval('tbody tr', (rows) => rows.length);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('a:has-text("导出 Excel")')]);
  const file = path.join(out, `${slug}.xlsx`);
  await download.saveAs(file);
  await page.setInputFiles('form.import input[type=file]', file);
  await Promise.all([page.waitForNavigation(), page.click('form.import button[type=submit]')]);
  const notice = (await page.textContent('p.notice')).trim();
  const after = await page.$$eval('tbody tr', (rows) => rows.length);
  if (after !== 2 * before) throw new Error(`${before} rows before the import, ${after} after: ${notice}`);
  await page.screenshot({ path: path.join(out, `${slug}.png`), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: path.join(out, `${slug}-phone.png`), fullPage: true });
  console.log(notice);
  await browser.close();
})().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
