// explorer.test.mjs — the explorer in headless Chromium, driven like a user: real mouse clicks and
// key presses on the ImGui canvas at the rectangles the app publishes (window.Module.attnscopeState
// .widgets), assertions on the state it publishes. Type a prompt, focus a head, ablate it and see
// the prediction change, switch on calibration, sweep, export a PNG, load a bad model, share a view.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startServer, launchBrowser, watchErrors, pngStats, outputDir } from './harness.mjs';
import { driver, rewriteSafetensors } from './driver.mjs';

let server, browser, page, errors;
let state, until, press, click, openTab, shot;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 1400, height: 860 }, acceptDownloads: true });
  page = await context.newPage();
  errors = watchErrors(page);
  ({ state, until, press, click, openTab, shot } = driver(page));
});
after(async () => {
  await browser?.close();
  server?.stop();
});

test('the default model loads and the first attention map appears', async () => {
  const started = Date.now();
  await page.goto(server.url);
  const s = await until((x) => x.model === 'attnscope-kjv' && x.runSerial >= 1 && x.firstMapSeconds >= 0,
    'the first attention map');
  const seconds = (Date.now() - started) / 1000;
  console.log(`time from page load to the first attention map: ${seconds.toFixed(2)} s ` +
              `(app clock: ${s.firstMapSeconds.toFixed(2)} s after start)`);
  assert.ok(s.tokens.length > 5);
  assert.equal(s.focus, 'L0H0');
  // attnscope serve makes the page cross-origin isolated, so the threaded build runs.
  assert.equal(s.jobsMode, 'worker thread');
  await shot('attention');
});

test('typing a prompt runs it', async () => {
  await click('prompt');
  await press('Control+A');
  await press('Delete');
  const prompt = 'In the beginning God created the heaven and the earth. In the beginning God';
  await page.keyboard.type(prompt, { delay: 5 });
  const serial = (await state()).runSerial;
  await press('Enter');
  const s = await until((x) => x.runSerial > serial && x.ranPrompt === prompt, 'the typed prompt to run');
  assert.ok(s.tokens.length >= 14, `only ${s.tokens.length} tokens`);
});

test('clicking a head in the grid focuses it and the URL follows', async () => {
  await click('grid.L1H2');
  await until((s) => s.focus === 'L1H2', 'focus on L1H2');
  await page.waitForFunction(() => location.hash.includes('head=L1H2'));
  await shot('focused');
});

test('ablating a head changes the prediction', async () => {
  await openTab('Ablation');
  const before = await until((s) => s.ablation.before, 'the clean prediction');
  const serial = before.ablation.serial;
  await click('ablate.L1H2');
  const s = await until((x) => x.ablation.serial > serial && x.ablation.heads.includes('L1H2'), 'the ablated run');
  assert.ok(s.ablation.kl > 0, 'the next-token distribution did not change');
  assert.notDeepEqual(s.ablation.after, s.ablation.before);
  console.log(`ablating L1H2: top token ${s.ablation.before[0].token} ${s.ablation.before[0].p.toFixed(3)} → ` +
              `${s.ablation.after[0].token} ${s.ablation.after[0].p.toFixed(3)}, KL ${s.ablation.kl.toFixed(4)}`);
});

test('sweeping all heads fills the effect map', async () => {
  const serial = (await state()).ablation.sweepSerial;
  await click('ablation.sweep');
  await until((s) => s.ablation.sweepSerial > serial, 'the sweep', 120000);
  await shot('ablation');
});

test('switching on ACT calibration shows the next token before and after', async () => {
  await openTab('Sinks');
  const serial = (await state()).calibration.serial;
  await click('calibration.toggle');
  const s = await until((x) => x.calibration.enabled && x.calibration.serial > serial, 'calibration');
  assert.ok(s.calibration.before.length > 0 && s.calibration.after.length > 0);
  await shot('sinks');
});

test('exporting the focused heatmap downloads a valid PNG', async () => {
  await openTab('Attention');
  const download = page.waitForEvent('download');
  await click('export.detail.png');
  const file = await download;
  const saved = path.join(outputDir, file.suggestedFilename());
  await file.saveAs(saved);
  const bytes = readFileSync(saved);
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const stats = pngStats(saved);
  assert.ok(stats.width > 100 && stats.colours > 20, `exported PNG ${JSON.stringify(stats)}`);
  assert.match(file.suggestedFilename(), /attnscope-kjv_L1H2\.png/);
});

test('the circuits panel finds a circuit on the tasks model', async () => {
  await openTab('Circuits');
  await click('model.attnscope-tasks');
  await until((s) => s.model === 'attnscope-tasks' && !s.busy && s.runSerial >= 1, 'the tasks model');
  const serial = (await state()).circuitSerial;
  await click('circuit.run');
  let s = await until((x) => x.circuitSerial > serial || x.status.includes('press Run again'), 'the circuit', 120000);
  if (s.circuitSerial === serial) {  // the task files were still being fetched
    await click('circuit.run');
    s = await until((x) => x.circuitSerial > serial, 'the circuit', 120000);
  }
  assert.ok(s.circuitAuc >= 0 && s.circuitAuc <= 1);
  console.log(`circuit in the browser: ${s.status}; AUC ${s.circuitAuc.toFixed(3)}`);
  await shot('circuits');
});

test('edge attribution and ACDC in the circuits panel: runs, progress, ROC against the ground truth', async () => {
  await openTab('Circuits');
  await click('circuit.method.eap');
  await until((s) => s.circuitMethod === 'eap', 'the EAP method');
  let serial = (await state()).circuitSerial;
  await click('circuit.run');
  let s = await until((x) => x.circuitSerial > serial, 'edge attribution', 120000);
  assert.ok(s.circuitAuc >= 0 && s.circuitAuc <= 1, `EAP AUC ${s.circuitAuc}`);
  assert.match(s.status, /edge attribution: node ROC AUC/);
  console.log(`EAP in the browser: ${s.status}`);
  await shot('circuits_eap');
  // ACDC on two prompts: typed into the prompts box with the keyboard.
  await click('circuit.method.acdc');
  await until((x) => x.circuitMethod === 'acdc' && x.circuitAuc === undefined, 'the ACDC method, no result yet');
  await click('circuit.discovery.prompts', 0.2);  // the field, left of its label
  await press('Control+A');
  await page.keyboard.type('2', { delay: 5 });
  await press('Enter');
  await until((x) => x.tab === 'circuits', 'still the circuits tab (the keys went to the field)');
  serial = (await state()).circuitSerial;
  await click('circuit.run');
  s = await until((x) => x.circuitSerial > serial, 'ACDC', 240000);
  assert.ok(s.circuitAuc >= 0 && s.circuitAuc <= 1, `ACDC AUC ${s.circuitAuc}`);
  assert.match(s.status, /ACDC: node ROC AUC .* 2 prompts/);
  console.log(`ACDC in the browser: ${s.status}`);
  await shot('circuits_acdc');
  // Back to the SAE: its own result is still there.
  await click('circuit.method.sae');
  s = await until((x) => x.circuitMethod === 'sae', 'the SAE method');
  assert.ok(s.circuitAuc >= 0 && s.circuitAuc <= 1);
});

test('a model folder without weights gets one clear error, and the app goes on', async () => {
  const serial = (await state()).errorSerial;
  await page.setInputFiles('#model-files', [{ name: 'config.json', mimeType: 'application/json', buffer: Buffer.from('{"model_type":"gpt2"}') }]);
  const s = await until((x) => x.errorSerial > serial && x.error.includes('missing'), 'the error');
  assert.match(s.error, /model\.safetensors/);
  assert.equal(s.model, 'attnscope-tasks');
});

test('a truncated safetensors file is refused with a message', async () => {
  const dir = path.join(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'models', 'attnscope-kjv');
  const weights = readFileSync(path.join(dir, 'model.safetensors')).subarray(0, 1000);
  const serial = (await state()).errorSerial;
  await page.setInputFiles('#model-files', [
    { name: 'config.json', mimeType: 'application/json', buffer: readFileSync(path.join(dir, 'config.json')) },
    { name: 'tokenizer.json', mimeType: 'application/json', buffer: readFileSync(path.join(dir, 'tokenizer.json')) },
    { name: 'model.safetensors', mimeType: 'application/octet-stream', buffer: weights }]);
  const s = await until((x) => x.errorSerial > serial, 'the error');
  assert.match(s.error, /safetensors|truncated|bytes/);
  console.log(`truncated weights: ${s.error}`);
  assert.equal(s.model, 'attnscope-tasks');
  assert.deepEqual(errors, []);
});

test('a model too large for the page is refused before it is read', async () => {
  await page.evaluate(() => window.attnscopeHost.setMaxModelBytes(1000));
  const serial = (await state()).errorSerial;
  const dir = path.join(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'models', 'attnscope-kjv');
  await page.setInputFiles('#model-files', ['config.json', 'tokenizer.json', 'model.safetensors'].map((n) => path.join(dir, n)));
  const s = await until((x) => x.errorSerial > serial && x.error.includes('desktop app'), 'the size error');
  console.log(`too large: ${s.error}`);
  await page.evaluate(() => window.attnscopeHost.setMaxModelBytes(1024 * 1024 * 1024));
  assert.equal(s.model, 'attnscope-tasks');
});

// The default model reads 256 tokens; for a long prompt the test makes a variant whose position
// table repeats its 256 rows up to 1280 (the patterns stay plausible, and the UI is what is tested).
function longContextModel(dir, positions) {
  const weights = rewriteSafetensors(readFileSync(path.join(dir, 'model.safetensors')), (name, info, bytes) => {
    if (name !== 'transformer.wpe.weight') return undefined;
    const rows = [];
    for (let r = 0; r < positions; r += info.shape[0]) rows.push(bytes);
    return { shape: [positions, info.shape[1]], bytes: Buffer.concat(rows).subarray(0, positions * bytes.length / info.shape[0]) };
  });
  const config = JSON.parse(readFileSync(path.join(dir, 'config.json')));
  config.n_positions = positions;
  if (config.n_ctx) config.n_ctx = positions;
  return { weights, config: Buffer.from(JSON.stringify(config)) };
}

test('a 1024-token prompt draws without freezing the page', async () => {
  const dir = path.join(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'models', 'attnscope-kjv');
  const model = longContextModel(dir, 1280);
  await page.setInputFiles('#model-files', [
    { name: 'config.json', mimeType: 'application/json', buffer: model.config },
    { name: 'tokenizer.json', mimeType: 'application/json', buffer: readFileSync(path.join(dir, 'tokenizer.json')) },
    { name: 'model.safetensors', mimeType: 'application/octet-stream', buffer: model.weights }]);
  await until((s) => s.model === 'your model' && s.runSerial >= 1, 'the long-context model');
  await openTab('Attention');
  // Set the prompt through the page's API rather than typing 1024 tokens key by key.
  const words = Array.from({ length: 1100 }, (_, i) => ['and', 'the', 'LORD', 'said', 'unto', 'Moses'][i % 6]).join(' ');
  const serial = (await state()).runSerial;
  await page.evaluate((text) => window.attnscopeHost.setPrompt(text), words);
  const s = await until((x) => x.runSerial > serial, 'the long prompt', 120000);
  assert.ok(s.tokens.length >= 1024, `${s.tokens.length} tokens`);
  // No freeze: sample the frame counter for 3 s; the longest wait for a new frame stays short.
  let last = (await state()).frame, lastChange = Date.now(), longest = 0;
  const first = last, start = Date.now();
  while (Date.now() - start < 3000) {
    await new Promise((r) => setTimeout(r, 50));
    const f = (await state()).frame;
    if (f !== last) { longest = Math.max(longest, Date.now() - lastChange); last = f; lastChange = Date.now(); }
  }
  longest = Math.max(longest, Date.now() - lastChange);
  console.log(`${s.tokens.length} tokens: ${((last - first) / 3).toFixed(1)} frames/s while showing the map, ` +
              `longest wait for a frame ${longest} ms`);
  assert.ok(longest < 1500, `the page froze for ${longest} ms`);
  await shot('long_prompt');
});

test('a shared URL restores the model, prompt and focused head', async () => {
  const view = '#model=attnscope-kjv&prompt=And%20God%20said%2C%20Let%20there%20be%20light&head=L1H3&tab=sinks';
  const second = await browser.newPage({ viewport: { width: 1400, height: 860 } });
  const secondErrors = watchErrors(second);
  await second.goto(server.url + view);
  await second.waitForFunction(() => {
    const s = JSON.parse(window.Module?.attnscopeState ?? '{}');
    return s.model === 'attnscope-kjv' && s.ranPrompt === 'And God said, Let there be light' && s.focus === 'L1H3' && s.tab === 'sinks';
  }, null, { timeout: 60000 });
  await second.close();
  assert.deepEqual(secondErrors, []);
});
