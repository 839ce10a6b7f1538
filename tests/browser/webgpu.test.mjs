// webgpu.test.mjs — the explorer on the WebGPU backend in headless Chromium (navigator.gpu on
// SwiftShader): Automatic keeping the CPU on a software adapter and saying why, WebGPU chosen
// in the Model panel with the mouse, the model moved to the GPU, the prompt
// run there, the attention maps and the prediction equal to the CPU's (≤ 1e-4), frames drawn
// while the GPU works, a shared link that asks for WebGPU, and the screenshot.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, watchErrors } from './harness.mjs';
import { driver } from './driver.mjs';

let server, browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser({ webgpu: true });
});
after(async () => {
  await browser?.close();
  server?.stop();
});

async function openPage(hash = '') {
  const context = await browser.newContext({ viewport: { width: 1400, height: 860 }, acceptDownloads: true });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(server.url + hash);
  return { ...driver(page), context, errors };
}

const ready = (model) => (s) => s.model === model && !s.busy && s.runSerial >= 1 && !s.loading;

// The focused map's JSON export and the next-token list, for comparing backends.
async function snapshot(d, heads) {
  const maps = {};
  for (const head of heads) {
    await d.click(`grid.${head}`);
    await d.until((s) => s.focus === head, `focus on ${head}`);
    const json = await d.download('export.detail.json');
    maps[head] = JSON.parse(json.bytes.toString()).data.flat(Infinity);
  }
  return maps;
}

function assertClose(actual, expected, what) {
  assert.equal(actual.length, expected.length, `${what}: ${actual.length} values, not ${expected.length}`);
  let worst = 0;
  for (let i = 0; i < actual.length; i++)
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i])));
  assert.ok(worst <= 1e-4, `${what}: worst relative difference ${worst}`);
  return worst;
}

test('choosing WebGPU moves the model to the GPU and gives the CPU\'s attention and ablation', async () => {
  const d = await openPage();
  await d.until(ready('attnscope-kjv'), 'the default model on the CPU');
  let s = await d.state();
  // Automatic, on this page's software adapter (SwiftShader), keeps the CPU and says why, in
  // grey: not an error.
  assert.equal(s.backendChoice, 'automatic');
  assert.match(s.backend, /^cpu/);
  assert.equal(s.useWebgpu, false);
  assert.match(s.backendReason, /^Automatic chose the CPU, because .*swiftshader.* is a software adapter, which runs on these CPU cores slower than the CPU backend\.$/i);
  assert.equal(s.backendNote, '');
  assert.equal(s.error, '');
  console.log(s.backendReason);
  await d.shot('webgpu_automatic');
  const heads = ['L0H0', 'L1H2'];
  const cpu = await snapshot(d, heads);
  await d.openTab('Ablation');
  s = await d.until((x) => x.ablation.before, 'the clean prediction');
  await d.click('ablate.L1H2');
  const cpuAblation = (await d.until((x) => x.ablation.serial > s.ablation.serial &&
    x.ablation.heads.includes('L1H2'), 'the ablated run on the CPU')).ablation;

  s = await d.state();
  await d.click('compute.backend');
  await d.click('compute.backend.webgpu');
  // Frames go on while the model moves and the prompt runs on the GPU.
  const frame = s.frame;
  s = await d.until((x) => x.runSerial > s.runSerial && x.ablation.serial > s.ablation.serial && !x.busy,
    'the prompt and the ablation run on WebGPU', 180000);
  assert.ok(s.frame > frame + 5, `only ${s.frame - frame} frames while the GPU worked`);
  assert.equal(s.backendNote, '', `fell back: ${s.backendNote}`);
  assert.match(s.backend, /^webgpu: /);
  assert.equal(s.useWebgpu, true);
  assert.equal(s.backendChoice, 'webgpu');
  assert.equal(s.backendReason, '');
  console.log(`running on ${s.backend}`);
  await d.page.waitForFunction(() => location.hash.includes('backend=webgpu'));
  // The ablation (an edit of the pass, run on the GPU) changes the prediction as on the CPU.
  assert.deepEqual(s.ablation.after.map((t) => t.token), cpuAblation.after.map((t) => t.token));
  assertClose(s.ablation.after.map((t) => t.p), cpuAblation.after.map((t) => t.p), 'ablated probabilities');
  assert.ok(Math.abs(s.ablation.kl - cpuAblation.kl) <= 1e-4 * Math.max(1, cpuAblation.kl),
    `KL ${s.ablation.kl} on WebGPU, ${cpuAblation.kl} on the CPU`);
  await d.openTab('Attention');
  const gpu = await snapshot(d, heads);
  for (const head of heads) {
    const worst = assertClose(gpu[head], cpu[head], `${head}'s pattern`);
    console.log(`${head}: worst relative difference from the CPU ${worst.toExponential(2)}`);
  }
  await d.shot('webgpu');
  s = await d.state();
  assert.equal(s.error, '');
  assert.deepEqual(d.errors, []);
  await d.context.close();
});

test('a shared link that asks for WebGPU loads the model there, and the tasks model follows', async () => {
  const d = await openPage('#backend=webgpu');
  let s = await d.until(ready('attnscope-kjv'), 'the default model', 180000);
  assert.match(s.backend, /^webgpu: /, `backend ${s.backend} (${s.backendNote})`);
  await d.click('model.attnscope-tasks');
  s = await d.until(ready('attnscope-tasks'), 'the tasks model', 180000);
  assert.match(s.backend, /^webgpu: /);
  // Back to the CPU: the same page, the same model, now on the CPU.
  const serial = s.runSerial;
  await d.click('compute.backend');
  await d.click('compute.backend.cpu');
  s = await d.until((x) => x.runSerial > serial && !x.busy, 'the prompt run on the CPU', 120000);
  assert.match(s.backend, /^cpu/);
  assert.deepEqual(d.errors, []);
  await d.context.close();
});

test('without an adapter, choosing WebGPU says why in one line and the model stays on the CPU', async () => {
  const plain = await launchBrowser();  // no --enable-unsafe-webgpu: navigator.gpu, but no adapter
  try {
    const context = await plain.newContext({ viewport: { width: 1400, height: 860 } });
    const page = await context.newPage();
    const errors = watchErrors(page);
    await page.goto(server.url);
    const d = driver(page);
    let s = await d.until(ready('attnscope-kjv'), 'the default model');
    // Automatic finds no adapter: the CPU, the reason in grey, no error.
    assert.match(s.backend, /^cpu/);
    assert.match(s.backendReason, /^Automatic chose the CPU, because WebGPU is unavailable: .+\.$/);
    assert.equal(s.error, '');
    const serial = s.runSerial;
    await d.click('compute.backend');
    await d.click('compute.backend.webgpu');
    s = await d.until((x) => x.runSerial > serial && !x.busy, 'the prompt run again', 120000);
    assert.match(s.backend, /^cpu/);
    assert.match(s.backendNote, /^WebGPU was chosen, but the model runs on the CPU, because WebGPU is unavailable: .+\.$/);
    assert.equal(s.error, s.backendNote);
    console.log(`without an adapter: ${s.backendNote}`);
    await d.shot('webgpu_unavailable');
    assert.deepEqual(errors, []);
  } finally {
    await plain.close();
  }
});
