// first_visit.test.mjs — the explorer as a first-time visitor meets it: switching models before
// typing anything, opening a model of their own first, pasting, dropping files, folders without a
// tokenizer, prompts longer than the context, going offline, links to models that are not there.
// Each test drives a page with the real mouse and keyboard; numbers on screen are checked against
// the CLI's for the same model and prompt.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, launchBrowser, watchErrors, nativeBuild, repoRoot } from './harness.mjs';
import { driver, modelFiles, rewriteSafetensors } from './driver.mjs';

const VIEWPORT = { width: 1400, height: 860 };
const DEFAULT_PROMPT = 'The cat sat on the mat. The cat sat on the mat.';
let server, browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  server?.stop();
});

// A fresh page (its own context: its own clipboard permissions and offline switch).
async function openPage(hash = '', { permissions = [] } = {}) {
  const context = await browser.newContext({ viewport: VIEWPORT, acceptDownloads: true });
  if (permissions.length) await context.grantPermissions(permissions, { origin: server.url });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(server.url + hash);
  const d = driver(page);
  return { ...d, context, errors };
}

const ready = (model) => (s) => s.model === model && s.runSerial >= 1 && !s.busy && !s.loading;

// Every number in an export's "data" (nested lists), flattened.
const flat = (data) => (Array.isArray(data) ? data.flatMap(flat) : [data]);

// The CLI's attention pattern of one head for the same model and prompt (JSON export).
function cliPattern(model, prompt, layer, head) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'attnscope-cli-'));
  execFileSync(path.join(nativeBuild, 'attnscope'), ['heatmap', '--model', path.join(repoRoot, 'models', model),
    '--text', prompt, '--layer', String(layer), '--head', String(head), '--out', path.join(dir, 'map.png'),
    '--json-data', path.join(dir, 'map.json')]);
  return JSON.parse(readFileSync(path.join(dir, 'map.json')));
}

function assertClose(actual, expected, what) {
  assert.equal(actual.length, expected.length, `${what}: ${actual.length} values, the CLI has ${expected.length}`);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  assert.ok(worst < 1e-5, `${what}: differs from the CLI by up to ${worst}`);
}

// Hovers cell (query, key) of the focused map and returns the readout the app shows there.
async function hoverCell(d, query, key, T) {
  await d.hover('detail.map', (key + 0.5) / T, (query + 0.5) / T);
  return d.until((s) => s.hover.query === query && s.hover.key === key, `hover on query ${query}, key ${key}`);
}

// The focused map's hover, its JSON export and its PNG export all belong to `model`.
async function checkFocusedMapIs(d, model, fileStem) {
  const s = await d.state();
  const T = s.tokens.length;
  const cli = cliPattern(model, DEFAULT_PROMPT, 0, 0);
  const expected = flat(cli.data);
  assert.equal(expected.length, T * T, 'the CLI saw another number of tokens');
  const h = await hoverCell(d, 6, 3, T);
  assert.ok(Math.abs(h.hover.value - expected[6 * T + 3]) < 1e-5,
    `hover reads ${h.hover.value}, the CLI gives ${expected[6 * T + 3]} for ${model}`);
  const json = await d.download('export.detail.json');
  assert.equal(json.name, `${fileStem}_L0H0.json`);
  const exported = JSON.parse(json.bytes.toString());
  assertClose(flat(exported.data), expected, 'the exported map');
  const png = await d.download('export.detail.png');
  assert.deepEqual([...png.bytes.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
  const after = await d.state();
  assert.equal(after.error, '', `export failed: ${after.error}`);
}

test('switching models before typing shows the new model\'s attention, in views and exports', async () => {
  const d = await openPage();
  await d.until(ready('attnscope-kjv'), 'the default model');
  await d.click('model.attnscope-tasks');
  await d.until(ready('attnscope-tasks'), 'the tasks model');
  await checkFocusedMapIs(d, 'attnscope-tasks', 'attnscope-tasks');
  await d.shot('switched_to_tasks');
  assert.deepEqual(d.errors, []);
  await d.context.close();
});

test('a model of your own opened as the first action shows its own attention', async () => {
  const d = await openPage();
  await d.page.setInputFiles('#model-files', modelFiles('attnscope-tasks'));
  await d.until(ready('your model'), 'the uploaded model');
  // "your model" has a space: downloads use an underscore instead.
  await checkFocusedMapIs(d, 'attnscope-tasks', 'your_model');
  await d.context.close();
});

test('"Fit" shows the whole focused map, and both axes name the tokens', async () => {
  const d = await openPage();
  const s = await d.until(ready('attnscope-kjv'), 'the default model');
  const [mx, my, mw, mh] = s.widgets['detail.map'];
  const [cx, cy, cw, ch] = s.widgets.detail;
  assert.ok(mx + mw <= cx + cw && my + mh <= cy + ch,
    `the map (${mx + mw}, ${my + mh}) runs past its panel (${cx + cw}, ${cy + ch}): a scrollbar hides its last keys`);
  // The last key of the last query is on screen and hovers like any other.
  const T = s.tokens.length;
  const h = await hoverCell(d, T - 1, T - 1, T);
  assert.ok(h.hover.value > 0);
  await d.shot('fit');
  await d.context.close();
});

test('next-token tables name ids past the tokenizer\'s vocabulary', async () => {
  const d = await openPage('#tab=ablation');
  const s = await d.until((x) => ready('attnscope-kjv')(x) && x.ablation.before, 'the clean prediction');
  const top = s.ablation.before[0].id;
  // The embedding table padded with 64 rows, each a copy of the most likely token's row: the
  // padded ids tie with it, so they are in the top ten, and the tokenizer knows none of them.
  const dir = path.join(repoRoot, 'models', 'attnscope-kjv');
  const config = JSON.parse(readFileSync(path.join(dir, 'config.json')));
  const vocab = config.vocab_size;
  const weights = rewriteSafetensors(readFileSync(path.join(dir, 'model.safetensors')), (name, info, bytes) => {
    if (name !== 'transformer.wte.weight') return undefined;
    const row = bytes.length / info.shape[0];
    const copies = Array.from({ length: 64 }, () => bytes.subarray(top * row, (top + 1) * row));
    return { shape: [info.shape[0] + 64, info.shape[1]], bytes: Buffer.concat([bytes, ...copies]) };
  });
  config.vocab_size = vocab + 64;
  await d.page.setInputFiles('#model-files', [
    { name: 'config.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(config)) },
    { name: 'model.safetensors', mimeType: 'application/octet-stream', buffer: weights },
    ...modelFiles('attnscope-kjv', ['tokenizer.json'])]);
  const p = await d.until((x) => ready('your model')(x) && x.ablation.before, 'the padded model');
  const padded = p.ablation.before.filter((t) => t.id >= vocab);
  assert.ok(padded.length > 0, `no padded id in the top ten: ${JSON.stringify(p.ablation.before)}`);
  for (const t of padded) assert.equal(t.token, `<id ${t.id}>`);
  await d.shot('padded_vocabulary');
  await d.context.close();
});

test('Ctrl+V pastes a long prompt into the prompt box, and Ctrl+C copies it out', async () => {
  // The Ablation tab draws quickly (the prompt box is on every tab).
  const d = await openPage('#tab=ablation', { permissions: ['clipboard-read', 'clipboard-write'] });
  await d.until(ready('attnscope-kjv'), 'the default model');
  const text = Array.from({ length: 60 }, (_, i) => `And the LORD spake unto Moses, saying ${i}.`).join(' ');
  await d.page.evaluate((t) => navigator.clipboard.writeText(t), text);
  await d.click('prompt');
  await d.press('Control+A');
  await d.press('Control+V');
  const pasted = await d.until((s) => s.prompt.length >= text.length, 'the pasted prompt');
  assert.equal(pasted.prompt, text);
  // Copy: replace the system clipboard's text, then copy the prompt box's back out.
  await d.page.evaluate(() => navigator.clipboard.writeText('something else'));
  await d.press('Control+A');
  await d.press('Control+C');
  await d.frames(3);
  const copied = await d.page.evaluate(() => navigator.clipboard.readText());
  assert.equal(copied, text);
  await d.context.close();
});

test('errors clear after a later success; a failed load leaves no progress bar; a broken tokenizer.json gets a readable message', async () => {
  const d = await openPage();
  await d.until(ready('attnscope-kjv'), 'the default model');
  const [config, weights] = modelFiles('attnscope-kjv', ['config.json', 'model.safetensors']);
  let serial = (await d.state()).errorSerial;
  await d.page.setInputFiles('#model-files', [config, { ...weights, buffer: weights.buffer.subarray(0, 5000) },
    ...modelFiles('attnscope-kjv', ['tokenizer.json'])]);
  let s = await d.until((x) => x.errorSerial > serial && !x.busy, 'the load error');
  assert.match(s.error, /safetensors|truncated|bytes/);
  assert.equal(s.loading, false, 'the state still says loading');
  assert.equal(s.loadProgress, -1, 'the progress bar stays up after the failed load');
  await d.click('model.attnscope-tasks');
  s = await d.until(ready('attnscope-tasks'), 'the tasks model');
  assert.equal(s.error, '', 'the old error is still on screen');

  serial = s.errorSerial;
  await d.page.setInputFiles('#model-files', [config, weights,
    { name: 'tokenizer.json', mimeType: 'application/json', buffer: Buffer.from('garbage {{{ ' + 'x'.repeat(400)) }]);
  s = await d.until((x) => x.errorSerial > serial && x.model === 'your model' && !x.busy, 'the tokenizer message');
  assert.match(s.error, /tokenizer\.json is not valid JSON/);
  assert.doesNotMatch(s.error, /json\.exception/);
  const [bx, , bw] = s.widgets['error.dismiss'];
  const [ex, , ew] = s.widgets.error;
  assert.ok(bx + bw <= VIEWPORT.width && ex + ew <= VIEWPORT.width, 'the message runs off the status bar');
  await d.shot('tokenizer_error');
  await d.click('error.dismiss');
  await d.until((x) => x.error === '', 'the dismissed error');
  await d.context.close();
});

// vocab.json + merges.txt, as older GPT-2 folders have them, from the bundled tokenizer.json.
function vocabAndMerges(folder) {
  const tok = JSON.parse(readFileSync(path.join(repoRoot, 'models', folder, 'tokenizer.json')));
  const merges = tok.model.merges.map((m) => (Array.isArray(m) ? m.join(' ') : m));
  return [
    { name: 'vocab.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(tok.model.vocab)) },
    { name: 'merges.txt', mimeType: 'text/plain', buffer: Buffer.from('#version: 0.2\n' + merges.join('\n') + '\n') }];
}

test('a folder without tokenizer.json loads: vocab.json + merges.txt tokenize, no tokenizer takes ids', async () => {
  const d = await openPage();
  const kjv = await d.until(ready('attnscope-kjv'), 'the default model');
  await d.page.setInputFiles('#model-files', [...modelFiles('attnscope-kjv', ['config.json', 'model.safetensors']),
    ...vocabAndMerges('attnscope-kjv')]);
  let s = await d.until((x) => ready('your model')(x) && x.runSerial > kjv.runSerial, 'the vocab.json + merges.txt model');
  assert.deepEqual(s.ids, kjv.ids, 'vocab.json + merges.txt tokenize differently from tokenizer.json');
  assert.equal(s.promptIsIds, false);

  await d.page.setInputFiles('#model-files', modelFiles('attnscope-kjv', ['config.json', 'model.safetensors']));
  s = await d.until((x) => x.model === 'your model' && x.promptIsIds && !x.busy, 'the model without a tokenizer');
  assert.match(s.error, /no tokenizer/);
  const serial = await d.typePrompt('464, 3797, 3332, 319');
  s = await d.until((x) => x.runSerial > serial, 'the ids to run');
  assert.deepEqual(s.ids, [464, 3797, 3332, 319]);
  assert.deepEqual(s.tokens, ['<id 464>', '<id 3797>', '<id 3332>', '<id 319>']);
  await d.shot('token_ids');
  await d.context.close();
});

test('a prompt longer than the context says so and offers to keep its last tokens', async () => {
  const words = Array.from({ length: 300 }, (_, i) => ['and', 'the', 'LORD', 'said'][i % 4]).join(' ');
  const d = await openPage('#prompt=' + encodeURIComponent(words));
  let s = await d.until((x) => x.model === 'attnscope-kjv' && x.runError !== '' && !x.busy, 'the too-long error');
  assert.match(s.runError, /more than the model's context of 256/);
  assert.equal(s.runTooLong, true);
  assert.equal(s.runSerial, undefined, 'a run is on screen');
  await d.shot('too_long');
  await d.click('prompt.keep_last_offer');
  s = await d.until((x) => x.runSerial >= 1, 'the last 256 tokens to run');
  assert.equal(s.tokens.length, 256);
  assert.ok(s.droppedTokens > 0);
  assert.equal(s.runError, '');
  await d.context.close();
});

test('bundled models reopen offline', async () => {
  const d = await openPage();
  await d.until(ready('attnscope-kjv'), 'the default model');
  await d.click('model.attnscope-tasks');
  await d.until(ready('attnscope-tasks'), 'the tasks model');
  await d.context.setOffline(true);
  const serial = (await d.state()).errorSerial;
  await d.click('model.attnscope-kjv');
  const s = await d.until((x) => ready('attnscope-kjv')(x) || x.errorSerial > serial, 'the default model, offline');
  assert.equal(s.error, '', `offline: ${s.error}`);
  assert.equal(s.model, 'attnscope-kjv');
  await d.context.close();
});

test('a link to a model that is not bundled says so', async () => {
  const d = await openPage('#model=gpt2-xl&head=L1H3');
  const s = await d.until((x) => ready('attnscope-kjv')(x) && x.error !== '', 'the message');
  assert.match(s.error, /'gpt2-xl', which is not bundled here: showing attnscope-kjv/);
  assert.equal(s.focus, 'L1H3');
  await d.context.close();
});

test('dragging files over the page shows where to drop them', async () => {
  const d = await openPage();
  await d.until(ready('attnscope-kjv'), 'the default model');
  assert.equal(await d.page.isVisible('#drop-hint'), false);
  const transfer = await d.page.evaluateHandle(() => {
    const t = new DataTransfer();
    t.items.add(new File(['{}'], 'config.json', { type: 'application/json' }));
    return t;
  });
  await d.page.dispatchEvent('canvas', 'dragenter', { dataTransfer: transfer });
  assert.equal(await d.page.isVisible('#drop-hint'), true);
  await d.shot('drag_over');
  await d.page.dispatchEvent('canvas', 'dragleave', { dataTransfer: transfer });
  assert.equal(await d.page.isVisible('#drop-hint'), false);
  await d.context.close();
});

test('the ablation-mode combo works from the keyboard, and ablated heads are in the URL', async () => {
  const d = await openPage('#tab=ablation&head=L1H2');
  await d.until((x) => ready('attnscope-kjv')(x) && x.ablation.before, 'the clean prediction');
  // ImGui's keyboard navigation starts on the current mode (zero) with the first arrow or moves
  // on from it, depending on the frame the list opened in: two presses reach mean or resample.
  // On a loaded machine a key can land in a frame before the list takes keyboard focus, so the
  // whole gesture is tried up to three times, each from a closed list (Escape closes it).
  let s;
  for (let attempt = 1; attempt <= 3 && !s; attempt++) {
    await d.press('Escape');
    await d.frames(3);
    await d.click('ablation.mode');
    await d.frames(3);  // the list is open, and keyboard navigation on for it
    await d.press('ArrowDown');
    await d.frames(2);
    await d.press('ArrowDown');
    await d.frames(2);
    await d.press('Space');  // ImGui's own activation key (Enter works too, through the app)
    s = await d.until((x) => x.ablationMode !== 'zero', 'the mode chosen by keys', 10000)
      .catch((e) => (attempt === 3 ? Promise.reject(e) : undefined));
  }
  const mode = s.ablationMode;
  assert.ok(mode === 'mean' || mode === 'resample', mode);
  assert.equal(s.focus, 'L1H2', 'the arrows moved the focused head instead');
  const serial = s.ablation.serial;
  await d.click('ablate.L1H3');
  s = await d.until((x) => x.ablation.serial > serial && x.ablation.heads.includes('L1H3'), 'the ablated run');
  await d.page.waitForFunction((m) => location.hash.includes('ablate=L1H3') && location.hash.includes(`mode=${m}`), mode);
  const link = await d.page.evaluate(() => location.hash);
  const second = await openPage(link);
  const t = await second.until((x) => ready('attnscope-kjv')(x) && x.ablation.serial >= 1, 'the shared ablation');
  assert.deepEqual(t.ablation.heads, ['L1H3']);
  assert.equal(t.ablationMode, mode);
  assert.deepEqual(t.ablation.after, s.ablation.after);
  await second.context.close();
  await d.context.close();
});
