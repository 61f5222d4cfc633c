// Evidence files opened by a supervisor in headless Chromium (playwright-core,
// Debian's chromium): a page with a script uploaded as evidence must never run
// on the platform's origin. The script, if it ran, would ask for BASE/pwned-…;
// every request the browser makes is watched for it.
// node scripts/evidence-sandbox.cjs BASE_URL USERNAME PASSWORD PAGE_ID POLYGLOT_ID VIDEO_ID AUDIO_ID
// (USERNAME has retrieved all four uploads: stated why, by POST.)
// PAGE_ID: an HTML page uploaded as text/html; POLYGLOT_ID: a PNG with the same
// page after its signature; VIDEO_ID, AUDIO_ID: the demo's video and sound,
// which must play when opened from a link. Prints one line per check.
'use strict';
const { chromium } = require('playwright-core');

const [base, username, password, pageId, polyglotId, videoId, audioId] = process.argv.slice(2);

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ acceptDownloads: true });
  const ran = [];
  context.on('request', (r) => { if (r.url().includes('/pwned-')) ran.push(r.url()); });
  const page = await context.newPage();
  await page.goto(`${base}/console/login`);
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', password);
  await Promise.all([page.waitForNavigation(), page.click('form button[type=submit]:has-text("登录")')]);

  // The control: the same bytes, answered from the platform's origin as an
  // unprotected text/html (as before the fix), are seen running.
  const html = await (await page.request.get(`${base}/api/v1/evidence/${pageId}/file`)).text();
  if (!html.includes('pwned-')) throw new Error(`the page could not be read: ${html}`);
  const control = await context.newPage();
  await control.route(`${base}/control`, (route) => route.fulfill({ body: html, contentType: 'text/html' }));
  const seen = control.waitForRequest((r) => r.url().includes('/pwned-'));
  await control.goto(`${base}/control`);
  await seen;
  await control.close();
  if (ran.length === 0) throw new Error('the control script did not run: the test could not see a script');
  console.log(`control: a script that runs is seen (${ran.length} request)`);
  ran.length = 0;

  // The page opened from a link: a download, nothing runs.
  await page.goto(`${base}/console`);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.goto(`${base}/api/v1/evidence/${pageId}/file`).catch(() => null),
  ]);
  console.log(`page: downloaded as ${download.suggestedFilename()}`);
  if (!page.url().startsWith(`${base}/console`)) throw new Error(`the browser left the console for ${page.url()}`);

  // The polyglot: shown as a picture, nothing runs.
  const response = await page.goto(`${base}/api/v1/evidence/${polyglotId}/file`);
  const type = response.headers()['content-type'];
  if (type !== 'image/png') throw new Error(`the polyglot was served as ${type}`);
  const img = await page.$('img');
  if (!img) throw new Error('the polyglot was not shown as a picture');
  console.log('polyglot: shown as a picture');

  // Framed by a page of ours: the sandbox still holds.
  await page.goto(`${base}/console`);
  await page.evaluate((src) => {
    const f = document.createElement('iframe');
    f.src = src;
    document.body.appendChild(f);
    return new Promise((resolve) => { f.onload = resolve; });
  }, `${base}/api/v1/evidence/${polyglotId}/file`);
  console.log('framed: loaded');

  // A video and a sound opened from a link play in the browser's own player.
  for (const [what, id] of [['video', videoId], ['audio', audioId]]) {
    await page.goto(`${base}/api/v1/evidence/${id}/file`);
    // The browser's player is a <video> element for sound too.
    const media = await page.waitForFunction(() => {
      const m = document.querySelector('video, audio');
      return m && (m.readyState >= 1 || m.error) && { ready: m.readyState, duration: m.duration, error: m.error && m.error.code };
    }, null, { timeout: 20000 }).then((h) => h.jsonValue());
    if (media.error || !(media.duration > 0)) throw new Error(`the ${what} did not open: ${JSON.stringify(media)}`);
    console.log(`${what}: plays, ${media.duration} s`);
  }

  if (ran.length > 0) throw new Error(`a script from evidence ran: ${ran.join(' ')}`);
  console.log('no script from evidence ran');
  await browser.close();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
