// The console's upload widget in headless Chromium (playwright-core, Debian's
// chromium): sign in, open the form for case CASE_NUMBER (its current stage is
// chosen), fill it, upload FILE while the connection breaks once during the
// second slice, and wait until the widget says it is done.
// node scripts/upload-widget.cjs BASE_URL USERNAME PASSWORD FILE CASE_NUMBER
// Prints the upload's id.
'use strict';
const { chromium } = require('playwright-core');

const [base, username, password, file, caseNumber] = process.argv.slice(2);

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  const violations = [];
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) violations.push(m.text()); });
  await page.goto(`${base}/console/login`);
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForNavigation(), page.click('form button[type=submit]:has-text("登录")')]);
  await page.goto(`${base}/console/evidence/upload?case_number=${encodeURIComponent(caseNumber)}`);
  // The console's policy refuses a script written into the page.
  const ranInline = await page.evaluate(() => {
    const s = document.createElement('script');
    s.textContent = 'window.__inline = 1';
    document.body.appendChild(s);
    return window.__inline === 1;
  });
  if (ranInline) throw new Error('an inline script ran in the console: no Content-Security-Policy');
  if (violations.length !== 1) throw new Error(`expected the one refused script, saw: ${violations.join(' | ')}`);
  violations.length = 0;
  if (await page.inputValue('input[name=case_number]') !== caseNumber) throw new Error('the case number is not filled in');
  if (!(await page.inputValue('select[name=step]'))) throw new Error('no stage of the case is offered');
  await page.fill('input[name=captured_at]', '2026-11-22T10:00');
  await page.fill('input[name=place]', '杭州市西湖区文三路 1 号');
  await page.fill('textarea[name=proves]', '现场存放过期食品');
  await page.setInputFiles('input[name=file]', file);
  let broken = false;
  await page.route('**/api/v1/uploads/*', (route) => {
    const r = route.request();
    if (!broken && r.method() === 'PATCH' && r.headers()['upload-offset'] === String(8 * 1024 * 1024)) {
      broken = true;
      return route.abort('connectionreset');
    }
    return route.continue();
  });
  await page.click('#upload-form button[type=submit]');
  await page.waitForFunction(() => document.getElementById('upload-status').textContent.includes('上传完成'), null,
    { timeout: 120000 });
  const status = await page.textContent('#upload-status');
  if (violations.length > 0) throw new Error(`the console broke its own policy: ${violations.join(' | ')}`);
  if (!broken) throw new Error('the connection was never broken');
  console.log(status.match(/编号 (\d+)/)[1]);
  await browser.close();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
