// report.test.mjs — the HTML report (`attnscope report`, core/report/prompt_report.h) in a fresh
// Chromium page with no network at all: it must show every figure and table from the one file,
// ask for nothing, and carry its numbers as JSON. Screenshots go to the test output folder.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { launchBrowser, nativeBuild, outputDir, repoRoot, startServer, watchErrors } from './harness.mjs';
import { driver } from './driver.mjs';

let browser, server;
before(async () => {
  browser = await launchBrowser();
  server = await startServer({ isolation: false });
});
after(async () => {
  await browser?.close();
  server?.stop();
});

// Opens `file` in a fresh context that is offline and refuses every request; returns what the
// page shows, the requests it made and its errors.
async function openOffline(file, shots = []) {
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
    facts: Object.fromEntries([...document.querySelectorAll('dt')].map((d) => [d.textContent, d.nextElementSibling.textContent])),
    data: JSON.parse(document.getElementById('attnscope-data').textContent),
  }));
  for (const [name, heading] of shots) {
    if (heading) await page.locator('h2', { hasText: heading }).scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(outputDir, name) });
  }
  await context.close();
  return { seen, requests, errors };
}

test('the report opens offline in a fresh page, figures drawn, nothing fetched', async () => {
  mkdirSync(outputDir, { recursive: true });
  const file = path.join(outputDir, 'report_ioi.html');
  const ioi = '<|endoftext|>Then, Jack and Mary had a long argument at the market. Afterwards';
  execFileSync(path.join(nativeBuild, 'attnscope'), [
    'report', '--model', path.join(repoRoot, 'models', 'attnscope-tasks'),
    '--text', `${ioi} Mary said to`, '--corrupted', `${ioi} Jane said to`,
    '--answer', ' Jack', '--distractor', ' Mary', '--out', file], { stdio: 'pipe' });

  const { seen, requests, errors } = await openOffline(file, [['report.png', null],
    ['report_patching.png', 'Activation patching']]);
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
});

test("the explorer's Report button downloads the same kind of file, with the patching sweep on screen", async () => {
  const context = await browser.newContext({ viewport: { width: 1400, height: 860 }, acceptDownloads: true });
  const page = await context.newPage();
  const pageErrors = watchErrors(page);
  const { until, click, press, frames, openTab, download, typePrompt, shot } = driver(page);
  // Replaces a text field's contents by typing (the field is left of its label).
  const typeInto = async (widget, text) => {
    await click(widget, 0.2);
    await press('Control+A');
    await press('Delete');
    await page.keyboard.type(text, { delay: 5 });
    await frames(2);
  };
  await page.goto(server.url);
  await until((s) => s.model === 'attnscope-kjv' && s.runSerial >= 1, 'the first run');
  const serial = await typePrompt('In the beginning God created the heaven and the earth. In the beginning God');
  await until((s) => s.runSerial > serial, 'the typed prompt run');
  // A sweep, from a typed corrupted prompt (as analysis.test.mjs does).
  await openTab('Patching');
  await click('patching.source.typed');
  await typeInto('patching.corrupted', 'In the beginning God made the heaven and the earth. In the beginning God');
  await until((x) => x.patching.check === '', 'the corrupted prompt accepted');
  await typeInto('patching.answer', ' created');
  await typeInto('patching.distractor', ' made');
  const before = (await until((x) => x.patching, 'the patching state')).patching.serial;
  await click('patching.run');
  await until((x) => x.patching.serial > before && x.patching.recovered, 'the sweep', 120000);
  const file = await download('prompt.report');
  await shot('report_button');
  assert.match(file.name, /^attnscope-kjv_report\.html$/);
  const { seen, requests, errors } = await openOffline(file.path);
  assert.deepEqual(requests, []);
  assert.deepEqual(errors, []);
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(seen.sections,
    ['Attention patterns', 'Logit lens', 'Massive activations', 'Activation patching']);
  assert.equal(seen.svgs.length, 1 + 1 + 1);  // grid, attributions, the sweep on screen
  assert.ok(seen.facts['prompt text'].startsWith('In the beginning God created'));
  const shown = (await until((x) => x.patching.recovered, 'the sweep')).patching;
  const inReport = seen.data.patching.runs.resid_pre.normalised;
  assert.equal(inReport.values.length, shown.recovered.flat().length);
  inReport.values.forEach((v, i) => assert.ok(Math.abs(v - shown.recovered.flat()[i]) < 1e-6));
  await context.close();
});
