// page.test.mjs — the explorer page in headless Chromium: the WASM module starts, the page is
// cross-origin isolated (so threads can run), and the ImGui UI draws.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, launchBrowser, watchErrors, pngStats, outputDir } from './harness.mjs';

let server, browser;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  server?.stop();
});

test('the page loads, the WASM app starts and the ImGui UI draws', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = watchErrors(page);
  const response = await page.goto(server.url);
  assert.equal(response.status(), 200);
  assert.equal(response.headers()['cross-origin-opener-policy'], 'same-origin');
  assert.equal(response.headers()['cross-origin-embedder-policy'], 'require-corp');

  // The app counts frames into Module.attnscopeFrames; a few frames means the loop runs.
  await page.waitForFunction(() => (window.Module?.attnscopeFrames ?? 0) > 10, null, { timeout: 30000 });
  assert.equal(await page.evaluate(() => window.crossOriginIsolated), true);
  assert.equal(await page.evaluate(() => document.getElementById('status').textContent), '');

  const shot = path.join(outputDir, 'page.png');
  await page.screenshot({ path: shot });
  const stats = pngStats(shot);
  assert.equal(stats.width, 1280);
  assert.equal(stats.height, 800);
  assert.ok(stats.colours > 20, `the canvas looks blank (${stats.colours} colours)`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the served wasm has the right MIME type for streaming compilation', async () => {
  const res = await fetch(server.url + 'attnscope.wasm');
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/wasm');
});

test('a missing file is a 404, not a crash of the server', async () => {
  const res = await fetch(server.url + 'no-such-file.js');
  assert.equal(res.status, 404);
  const again = await fetch(server.url);
  assert.equal(again.status, 200);
});

test('under its Content-Security-Policy the page runs, and a link ending in #% starts cleanly', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = watchErrors(page);
  const response = await page.goto(server.url + '#%');
  const csp = response.headers()['content-security-policy'];
  assert.match(csp, /default-src 'self'/);
  assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'/);
  assert.equal(response.headers()['x-content-type-options'], 'nosniff');
  await page.waitForFunction(() => (window.Module?.attnscopeFrames ?? 0) > 10, null, { timeout: 30000 });
  // A fetch to another origin is refused by the policy (connect-src 'self').
  const blocked = await page.evaluate(
    () => fetch('http://127.0.0.2:9/x').then(() => 'fetched', (e) => 'refused: ' + e.name));
  assert.match(blocked, /^refused/);
  // The refusal is logged as a console error and the request is outside the origin; those are
  // the expected entries, and there must be no other.
  assert.deepEqual(errors.filter((e) => !e.includes('127.0.0.2')), []);
  await page.close();
});
