// The supervisors' pages in headless Chromium (playwright-core, Debian's
// chromium): sign in as a city's justice bureau supervisor, see the console
// home (the dashboard) and one agency's dashboard, the list of warnings, one warning with its
// handling, the retrieval log, and last quarter's online inspection reports
// with the one of most findings; each photographed at 1280 and 390 px.
// node scripts/supervision-screenshots.cjs BASE_URL USERNAME PASSWORD OUT_DIR
// Prints one line per screenshot: NAME PATH.
'use strict';
const { chromium } = require('playwright-core');
const path = require('path');

const [base, username, password, out] = process.argv.slice(2);

async function shoot(page, name) {
  const file = path.join(out, `${name}.png`);
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.screenshot({ path: file, fullPage: true });
  console.log(`${name} ${file}`);
  await page.setViewportSize({ width: 390, height: 844 });
  const phone = path.join(out, `${name}-phone.png`);
  await page.screenshot({ path: phone, fullPage: true });
  console.log(`${name}-phone ${phone}`);
  await page.setViewportSize({ width: 1280, height: 900 });
}

async function visit(page, name, url, expect) {
  const response = await page.goto(url);
  if (!response || response.status() !== 200) throw new Error(`${url}: status ${response && response.status()}`);
  const text = await page.textContent('body');
  if (!text.includes(expect)) throw new Error(`${url}: "${expect}" not on the page`);
  await shoot(page, name);
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--lang=zh-CN', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) console.error(`policy violated on ${page.url()}: ${m.text()}`);
  });
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (!url.startsWith(base)) {
      console.error(`outside request: ${url}`);
      return route.abort();
    }
    return route.continue();
  });
  await page.goto(`${base}/console/login`);
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForNavigation(), page.click('form button[type=submit]:has-text("登录")')]);
  // A supervisor's home is the dashboard: figures, the monthly trend, the ranking.
  await visit(page, 'supervisor-home', `${base}/console`, '执法监督数据中心');
  const svg = await page.$('svg.trend rect.bar');
  if (!svg) throw new Error('the dashboard has no trend chart');
  // One agency's dashboard, from the ranking.
  const agency = await page.$$eval('#ranking ~ div a', (as) => as.map((a) => a.getAttribute('href'))
    .find((h) => h && h.startsWith('/console/dashboard?agency=')));
  if (!agency) throw new Error('the ranking links no agency');
  await visit(page, 'dashboard-agency', `${base}${agency}`, '执法监督数据中心');
  await visit(page, 'warnings', `${base}/console/warnings?status=`, '执法监督预警');
  // A warning handled and returned to the agency: its page shows every step.
  await page.goto(`${base}/console/warnings?status=returned`);
  const hrefs = await page.$$eval('a', (as) => as.map((a) => a.getAttribute('href')));
  const href = hrefs.find((h) => h && /^\/console\/warnings\/\d+$/.test(h));
  if (!href) throw new Error('no returned warning listed');
  await visit(page, 'warning', `${base}${href}`, '已退回');
  await visit(page, 'retrievals', `${base}/console/retrievals`, '调阅记录');
  // Last quarter's online inspection: the list, and the report with the most findings.
  await visit(page, 'inspections', `${base}/console/inspections`, '网上巡查');
  const reports = await page.$$eval('tbody tr', (rows) => rows.map((r) => {
    const a = r.querySelector('a');
    return { href: a && a.getAttribute('href'), findings: Number(r.children[3].textContent) };
  }));
  const worst = reports.filter((r) => r.href).sort((a, b) => b.findings - a.findings)[0];
  if (!worst || worst.findings === 0) throw new Error('no inspection report with findings');
  await visit(page, 'inspection', `${base}${worst.href}`, '网上巡查报告');
  await browser.close();
})().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
