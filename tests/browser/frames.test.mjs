// frames.test.mjs — the explorer on a page that is not cross-origin isolated (a plain static host):
// no SharedArrayBuffer, so the single-threaded build runs and splits long work across frames. A
// sweep must still let frames through while it runs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, watchErrors } from './harness.mjs';

let server, browser;
before(async () => {
  server = await startServer({ isolation: false });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  server?.stop();
});

test('without isolation the single-threaded build runs and a sweep does not freeze the page', async () => {
  const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
  const errors = watchErrors(page);
  await page.goto(server.url + '#tab=ablation');
  const state = () => page.evaluate(() => JSON.parse(window.Module?.attnscopeState ?? '{}'));
  await page.waitForFunction(() => JSON.parse(window.Module?.attnscopeState ?? '{}').runSerial >= 1, null, { timeout: 60000 });
  const s0 = await state();
  assert.equal(await page.evaluate(() => window.crossOriginIsolated), false);
  assert.equal(s0.jobsMode, 'split across frames');
  // Press the sweep button like a user (hover, press, release over a few frames).
  const [x, y, w, h] = s0.widgets['ablation.sweep'];
  await page.mouse.move(x + w / 2, y + h / 2);
  await page.waitForTimeout(200);
  await page.mouse.down();
  await page.waitForTimeout(200);
  await page.mouse.up();
  await page.waitForFunction(() => JSON.parse(window.Module.attnscopeState).backgroundBusy, null, { timeout: 10000 });
  // While the sweep runs, frames keep coming and the progress bar moves.
  const frames = [];
  let progress = [];
  for (let i = 0; i < 10; i++) {
    const s = await state();
    if (!s.backgroundBusy) break;
    frames.push(s.frame);
    progress.push(s.backgroundProgress);
    await page.waitForTimeout(100);
  }
  await page.waitForFunction(() => JSON.parse(window.Module.attnscopeState).ablation.sweepSerial >= 1, null, { timeout: 120000 });
  console.log(`frames while sweeping: ${frames.join(' ')}; progress ${progress.map((p) => p.toFixed(2)).join(' ')}`);
  assert.ok(frames.length >= 2 && frames[frames.length - 1] > frames[0], 'no frames were drawn during the sweep');
  assert.deepEqual(errors, []);
  await page.close();
});
