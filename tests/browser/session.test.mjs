// session.test.mjs — a saved session reopens to the same view (ui/app/session.h), in headless
// Chromium driven like a user: focus a head with the mouse and the arrow keys, ablate it with A,
// run a patching sweep on its tab, save the session (a download), then open the file in fresh
// pages — dropped on the canvas, and through the Open session… button's file picker — and check
// that the state reaches the same view, the patching map shown as saved. A damaged file dropped
// gives one message and changes nothing. Screenshots before and after go to the test output.
// Served without cross-origin isolation: the single-threaded build.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, watchErrors } from './harness.mjs';
import { driver } from './driver.mjs';

const CLEAN = 'In the beginning God created the heaven and the earth. In the beginning God';
const CORRUPTED = 'In the beginning God made the heaven and the earth. In the beginning God';

let server, browser;
before(async () => {
  server = await startServer({ isolation: false });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  server?.stop();
});

async function freshPage() {
  const context = await browser.newContext({ viewport: { width: 1400, height: 860 }, acceptDownloads: true });
  const page = await context.newPage();
  const errors = watchErrors(page);
  const d = driver(page);
  await page.goto(server.url);
  await d.until((s) => s.model === 'attnscope-kjv' && s.runSerial >= 1, 'the default model');
  return { page, errors, d, context };
}

// Drops `bytes` as one file named `name` on the canvas, as a file dragged from the desktop is.
async function dropFile(page, name, bytes) {
  await page.evaluate(({ name, data }) => {
    const file = new File([Uint8Array.from(atob(data), (c) => c.charCodeAt(0))], name, { type: 'application/json' });
    const transfer = new DataTransfer();
    transfer.items.add(file);
    const canvas = document.getElementById('canvas');
    for (const type of ['dragenter', 'dragover', 'drop'])
      canvas.dispatchEvent(new DragEvent(type, { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }, { name, data: Buffer.from(bytes).toString('base64') });
}

// What a reopened session must match: the view and the settings the state publishes.
function view(s) {
  return {
    model: s.model, prompt: s.prompt, ranPrompt: s.ranPrompt, tab: s.tab, focus: s.focus,
    tokens: s.tokens, ablationMode: s.ablationMode, ablated: s.ablation.heads,
    patchTarget: s.patching.target, recovered: s.patching.recovered, cols: s.patching.cols,
  };
}

let saved, before_;

test('a session saved after real mouse and key work downloads as one JSON file', async () => {
  const { page, errors, d, context } = await freshPage();
  const { state, until, press, click, openTab, shot, typePrompt, download, frames } = d;
  const typeInto = async (widget, text) => {
    await click(widget, 0.2);
    await press('Control+A');
    await press('Delete');
    await page.keyboard.type(text, { delay: 5 });
    await frames(2);
  };
  const serial = await typePrompt(CLEAN);
  await until((s) => s.runSerial > serial && s.ranPrompt === CLEAN, 'the prompt to run');
  // Another head: clicked in the grid, then one to the right with the arrow key; A ablates it.
  await click('grid.L1H2');
  await until((s) => s.focus === 'L1H2', 'L1H2 focused');
  await press('ArrowRight');
  await until((s) => s.focus === 'L1H3', 'L1H3 focused');
  const ablations = (await state()).ablation.serial;
  await press('a');
  await until((s) => s.ablation.serial > ablations && s.ablation.heads.includes('L1H3'), 'L1H3 ablated');
  await shot('session_before_attention');
  // A patching sweep from a typed corrupted prompt.
  await openTab('Patching');
  await click('patching.source.typed');
  await typeInto('patching.corrupted', CORRUPTED);
  await until((s) => s.patching.check === '', 'the corrupted prompt accepted');
  await typeInto('patching.answer', ' created');
  await typeInto('patching.distractor', ' made');
  const sweeps = (await state()).patching.serial;
  await click('patching.run');
  before_ = await until((s) => s.patching.serial > sweeps && !s.backgroundBusy, 'the sweep', 120000);
  assert.equal(before_.patching.error, '');
  await shot('session_before');

  const file = await download('session.save');
  assert.equal(file.name, 'attnscope-kjv_session.json');
  saved = file.bytes;
  const session = JSON.parse(saved.toString());
  assert.equal(session.format, 'attnscope-session');
  assert.equal(session.version, 1);
  assert.deepEqual(session.model, { name: 'attnscope-kjv', bundled: true });
  assert.equal(session.prompt.text, CLEAN);
  assert.equal(session.view.focus, 'L1H3');
  assert.equal(session.view.tab, 'patching');
  assert.deepEqual(session.ablation.heads, ['L1H3']);
  assert.equal(session.patching.corrupted, CORRUPTED);
  assert.equal(session.patching.result.recovered.length, before_.patching.recovered.length);
  assert.match((await state()).lastExport, /downloaded attnscope-kjv_session\.json/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('dropped on a fresh page, the session reopens to the same view, the map as saved', async () => {
  assert.ok(saved, 'the first test saved a session');
  const { page, errors, d, context } = await freshPage();
  const start = await d.state();
  assert.equal(start.focus, 'L0H0');
  assert.equal(start.tab, 'attention');

  // A damaged file first: one message, nothing changes.
  const errorsBefore = start.errorSerial;
  await dropFile(page, 'broken_session.json', saved.subarray(0, 200));
  let s = await d.until((x) => x.errorSerial > errorsBefore, 'the damaged file\'s message');
  assert.equal(s.errorSerial, errorsBefore + 1);
  assert.match(s.error, /^session: not valid JSON/);
  assert.equal(s.focus, 'L0H0');
  assert.deepEqual(s.ablation.heads, []);
  console.log(`damaged session file: ${s.error}`);

  await dropFile(page, 'attnscope-kjv_session.json', saved);
  s = await d.until((x) => x.ranPrompt === CLEAN && x.patching.recovered && !x.busy, 'the session to open');
  assert.deepEqual(view(s), view(before_));
  assert.equal(s.patching.serial, 1, 'the map was shown as saved, not swept again');
  assert.equal(s.ablation.kl.toFixed(6), before_.ablation.kl.toFixed(6));
  console.log(`reopened: ${s.status}; focus ${s.focus}, ablated ${s.ablation.heads}, tab ${s.tab}`);
  assert.equal(s.error, '', 'the damaged file\'s message went with the good file');
  await d.shot('session_after_drop');
  await d.openTab('Attention');
  s = await d.state();
  assert.equal(s.focus, 'L1H3');
  await d.shot('session_after_attention');
  assert.deepEqual(errors.filter((e) => !e.includes('session:')), []);
  await context.close();
});

test('Open session… picks the file and reaches the same view', async () => {
  const { page, errors, d, context } = await freshPage();
  const chooser = page.waitForEvent('filechooser', { timeout: 20000 });
  await d.click('session.open');
  await (await chooser).setFiles([{ name: 'attnscope-kjv_session.json', mimeType: 'application/json', buffer: saved }]);
  const s = await d.until((x) => x.ranPrompt === CLEAN && x.patching.recovered && !x.busy, 'the session to open');
  assert.deepEqual(view(s), view(before_));
  await d.shot('session_after_picker');
  assert.deepEqual(errors, []);
  await context.close();
});
