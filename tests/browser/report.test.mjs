// report.test.mjs — the HTML report (`attnscope report`, core/report/prompt_report.h) in a fresh
// Chromium page with no network at all: it must show every figure and table from the one file,
// ask for nothing, and carry its numbers as JSON. Screenshots go to the test output folder.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { launchBrowser, nativeBuild, outputDir, repoRoot } from './harness.mjs';

let browser;
before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

test('the report opens offline in a fresh page, figures drawn, nothing fetched', async () => {
  mkdirSync(outputDir, { recursive: true });
  const file = path.join(outputDir, 'report_ioi.html');
  const ioi = '<|endoftext|>Then, Jack and Mary had a long argument at the market. Afterwards';
  execFileSync(path.join(nativeBuild, 'attnscope'), [
    'report', '--model', path.join(repoRoot, 'models', 'attnscope-tasks'),
    '--text', `${ioi} Mary said to`, '--corrupted', `${ioi} Jane said to`,
    '--answer', ' Jack', '--distractor', ' Mary', '--out', file], { stdio: 'pipe' });

  // A fresh context, offline, with every request refused and recorded.
  const context = await browser.newContext({ offline: true, viewport: { width: 1280, height: 900 } });
  const requests = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file:')) return route.continue();
    requests.push(url);
    return route.abort();
  });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto('file://' + file);
  const seen = await page.evaluate(() => ({
    title: document.title,
    sections: [...document.querySelectorAll('h2')].map((h) => h.textContent),
    svgs: [...document.querySelectorAll('svg')].map((s) => {
      const r = s.getBoundingClientRect();
      return { width: r.width, height: r.height, rects: s.querySelectorAll('rect').length,
               texts: s.querySelectorAll('text').length };
    }),
    tableRows: [...document.querySelectorAll('table')].map((t) => t.querySelectorAll('tbody tr').length),
    data: JSON.parse(document.getElementById('attnscope-data').textContent),
  }));
  assert.deepEqual(requests, []);
  assert.deepEqual(errors, []);
  assert.equal(seen.title, 'attnscope report — attnscope-tasks');
  assert.deepEqual(seen.sections,
    ['Attention patterns', 'Logit lens', 'Massive activations', 'Activation patching']);
  assert.equal(seen.svgs.length, 4);
  for (const s of seen.svgs) {
    assert.ok(s.width > 200 && s.height > 100, `an SVG drawn at ${s.width}×${s.height}`);
    assert.ok(s.texts > 5, 'its labels are text');
  }
  // 4 layers × 8 heads × 18 × 18 cells in the attention grid, each a rect.
  assert.ok(seen.svgs[0].rects >= 32 * 18 * 18);
  assert.ok(seen.tableRows.every((n) => n > 0));
  assert.equal(seen.data.tokens.length, 18);
  const heads = seen.data.patching.runs.head_z.normalised;
  assert.deepEqual(heads.shape, [4, 8]);
  // The ground truth's name mover L0H5 recovers most of the logit difference (as `patch` says).
  const best = heads.values.indexOf(Math.max(...heads.values));
  assert.equal(best, 0 * 8 + 5);

  await page.screenshot({ path: path.join(outputDir, 'report.png') });
  await page.locator('h2', { hasText: 'Activation patching' }).scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(outputDir, 'report_patching.png') });
  await context.close();
});
