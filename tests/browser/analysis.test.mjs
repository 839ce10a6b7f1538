// analysis.test.mjs — the Patching and Lens tabs and the massive activations beside the sinks, in
// headless Chromium, driven like a user: type a corrupted prompt (a too-short one first: the
// length message), type the metric's tokens, run the sweep, hover a cell of the map and compare the
// value the app shows with the result it publishes, export PNG, SVG and CSV; read the lens table and
// a head's attribution by hovering; then switch models and see every view follow.
// The page is served without cross-origin isolation, so the single-threaded build runs and the
// sweep is split across frames (the threaded build's worker is what explorer.test.mjs runs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { startServer, launchBrowser, watchErrors, pngStats, outputDir } from './harness.mjs';
import { driver } from './driver.mjs';

let server, browser, page, errors;
let state, until, press, click, hover, openTab, shot, typePrompt, download, frames;

const CLEAN = 'In the beginning God created the heaven and the earth. In the beginning God';
const CORRUPTED = 'In the beginning God made the heaven and the earth. In the beginning God';

before(async () => {
  server = await startServer({ isolation: false });
  browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 1400, height: 860 }, acceptDownloads: true });
  page = await context.newPage();
  errors = watchErrors(page);
  ({ state, until, press, click, hover, openTab, shot, typePrompt, download, frames } = driver(page));
});
after(async () => {
  await browser?.close();
  server?.stop();
});

// Replaces a text field's contents by typing (the field is left of its label).
async function typeInto(widget, text) {
  await click(widget, 0.2);
  await press('Control+A');
  await press('Delete');
  await page.keyboard.type(text, { delay: 5 });
  await frames(2);
}

// Moves the mouse onto cell (row, col) of a map whose cells fill the published rectangle.
async function hoverCell(widget, rows, cols, row, col) {
  const s = await until((x) => x.widgets?.[widget], `widget ${widget}`);
  const [x, y, w, h] = s.widgets[widget];
  await page.mouse.move(x + (col + 0.5) * (w / cols), y + (row + 0.5) * (h / rows));
  await frames(3);
}

test('a patching sweep from a typed corrupted prompt draws its map, with hover values and exports', async () => {
  await page.goto(server.url);
  await until((s) => s.model === 'attnscope-kjv' && s.runSerial >= 1, 'the default model');
  const serial = await typePrompt(CLEAN);
  await until((s) => s.runSerial > serial && s.ranPrompt === CLEAN, 'the clean prompt to run');
  await openTab('Patching');
  await click('patching.source.typed');
  // Too short: one clear message, and the sweep cannot start.
  await typeInto('patching.corrupted', 'In the beginning');
  let s = await until((x) => x.patching.check.includes('same number'), 'the length message');
  console.log(`short corrupted prompt: ${s.patching.check}`);
  await typeInto('patching.corrupted', CORRUPTED);
  await until((x) => x.patching.check === '', 'the corrupted prompt accepted');
  await typeInto('patching.answer', ' created');
  await typeInto('patching.distractor', ' made');
  const before = (await state()).patching.serial;
  await click('patching.run');
  s = await until((x) => x.patching.serial > before, 'the sweep', 120000);
  assert.equal(s.patching.error, '');
  assert.equal(s.patching.target, 'resid_pre');
  const rows = s.patching.recovered.length, cols = s.patching.recovered[0].length;
  assert.equal(rows, 4);
  assert.equal(cols, s.tokens.length);
  // Layer 0's input differs only at the swapped word: patching it there restores the clean run.
  const swapped = s.patching.cols.findIndex((t) => t.includes('created'));
  assert.ok(swapped > 0, `no 'created' among ${s.patching.cols}`);
  assert.ok(Math.abs(s.patching.recovered[0][swapped] - 1) < 1e-3, `L0 at ${swapped}: ${s.patching.recovered[0][swapped]}`);
  console.log(`patching in the browser: ${s.status}`);

  // Hover: the tooltip's cell and value are the result's.
  for (const [r, c] of [[0, swapped], [2, cols - 1], [3, swapped + 1]]) {
    await hoverCell('patching.map', rows, cols, r, c);
    const h = (await state()).patching.hover;
    assert.deepEqual([h.row, h.col], [r, c], `hovered ${JSON.stringify(h)}`);
    assert.ok(Math.abs(h.value - s.patching.recovered[r][c]) < 1e-6, `value ${h.value} vs ${s.patching.recovered[r][c]}`);
  }
  await hoverCell('patching.map', rows, cols, 0, swapped);
  await shot('patching');

  const png = await download('export.patching.png');
  assert.deepEqual([...png.bytes.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
  assert.match(png.name, /attnscope-kjv_patch_resid_pre\.png/);
  assert.ok(pngStats(png.path).colours > 20);
  const svg = await download('export.patching.svg');
  assert.match(svg.name, /\.svg$/);
  const text = svg.bytes.toString();
  // Parsed and rendered in a blank page of its own (the explorer's page forbids inline styles,
  // which the figure's text uses): valid XML, a rect per cell, and drawn, screenshotted.
  const figure = await browser.newPage({ viewport: { width: 1000, height: 700 } });
  const parsed = await figure.evaluate((t) => {
    const doc = new DOMParser().parseFromString(t, 'image/svg+xml');
    return { error: doc.querySelector('parsererror')?.textContent ?? '', rects: doc.querySelectorAll('rect').length };
  }, text);
  assert.equal(parsed.error, '');
  assert.ok(parsed.rects >= rows * cols, `${parsed.rects} rects for ${rows * cols} cells`);
  await figure.setContent(`<img id="f" src="data:image/svg+xml;base64,${Buffer.from(text).toString('base64')}">`);
  await figure.waitForFunction(() => document.getElementById('f').complete && document.getElementById('f').naturalWidth > 0);
  const rendered = path.join(outputDir, 'explorer_patching_svg.png');
  await figure.screenshot({ path: rendered, fullPage: true });
  await figure.close();
  assert.ok(pngStats(rendered).colours > 20, 'the SVG rendered blank');
  const csv = await download('export.patching.csv');
  const lines = csv.bytes.toString().trim().split('\r\n');
  assert.equal(lines.length, rows + 1);
  assert.equal(Number(lines[1].split(',')[swapped + 1]).toFixed(3), s.patching.recovered[0][swapped].toFixed(3));
  writeFileSync(path.join(outputDir, 'patching_state.json'), JSON.stringify(s.patching));
});

test('the logit lens shows top tokens per layer, the followed token and the heads\' attribution', async () => {
  await openTab('Lens');
  const s = await until((x) => x.lens.top && x.lens.positions === x.tokens.length, 'the logit lens');
  const rows = s.lens.rows, cols = s.lens.positions;
  assert.equal(rows, 5);  // 4 block inputs and the final stream
  // The final row's top token at the last position is the model's own next token (Ablation's
  // 'before' table, from the forward pass).
  assert.equal(s.lens.top[rows - 1][cols - 1].token, s.ablation.before[0].token);
  assert.equal(s.lens.target, s.ablation.before[0].token);
  // A cell in view (the table scrolls sideways past the first dozen positions).
  for (const [r, c] of [[rows - 1, 3], [1, 0]]) {
    await hoverCell('lens.cells', rows, cols, r, c);
    const h = (await state()).lens.hover;
    assert.deepEqual([h.row, h.col], [r, c]);
    assert.equal(h.token, s.lens.top[r][c].token);
    assert.ok(Math.abs(h.value - s.lens.top[r][c].p) < 1e-6);
  }
  await hover('dla.L1H2');
  const h = (await state()).lens.hover;
  assert.deepEqual([h.row, h.col], [1, 2]);
  assert.ok(Math.abs(h.value - s.lens.dla[1][2]) < 1e-6);
  await hoverCell('lens.cells', rows, cols, 2, cols - 1);
  await shot('lens');
  const dla = await download('export.dla.json');
  const json = JSON.parse(dla.bytes.toString());
  assert.deepEqual(json.shape, [4, 8]);
  assert.ok(Math.abs(json.data[1 * 8 + 2] - s.lens.dla[1][2]) < 1e-5);
});

test('massive activations show beside the sinks', async () => {
  await openTab('Sinks');
  const s = await until((x) => x.massive.layers.length === 5, 'the massive activations');
  for (const l of s.massive.layers) {
    assert.ok(l.position >= 0 && l.position < s.tokens.length);
    assert.ok(l.ratio >= 1, `ratio ${l.ratio}`);
    assert.equal(l.over100, l.ratio > 100);
  }
  console.log('massive activations: ' + s.massive.layers.map((l) => `${l.ratio.toFixed(0)}x at ${l.position}`).join(', '));
  await hover('massive.table', 0.3, 0.25);
  await shot('massive');
});

test('switching models drops the old results and every view follows the new model', async () => {
  await click('model.attnscope-tasks');
  let s = await until((x) => x.model === 'attnscope-tasks' && x.runSerial >= 1 && !x.busy, 'the tasks model');
  assert.equal(s.patching.recovered, undefined);
  await openTab('Lens');
  s = await until((x) => x.lens.top && x.lens.positions === x.tokens.length, 'the lens of the tasks model');
  assert.equal(s.lens.top[s.lens.rows - 1][s.lens.positions - 1].token, s.ablation.before[0].token);
  await openTab('Sinks');
  s = await until((x) => x.massive.layers.length === s.lens.rows, 'the massive activations of the tasks model');
  assert.deepEqual(errors, []);
});
