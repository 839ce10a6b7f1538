// gpu_tests_page.test.mjs — the threaded WASM GPU tests inside headless Chromium: the WebGPU
// backend on the page's own navigator.gpu (SwiftShader here, --enable-unsafe-webgpu), through the
// same browser device code the explorer uses (wasm/webgpu_browser). The op table through
// buffers, declarative edits, captures left on the device, and parity with transformers on every
// engine fixture (logits and patterns ≤ 1e-4), as tests/wasm/gpu_tests.mjs runs them under node
// with dawn.node. The page (build-wasm-mt/gpu-tests-page) is served by `attnscope serve`, with
// the explorer's isolation headers and Content-Security-Policy.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { repoRoot, startServer, launchBrowser, watchErrors } from './harness.mjs';

const pageDir = path.join(process.env.ATTNSCOPE_WASM_MT_BUILD ?? path.join(repoRoot, 'build-wasm-mt'),
  'gpu-tests-page');
let server, browser;

before(async () => {
  assert.ok(existsSync(path.join(pageDir, 'attnscope_gpu_tests.js')),
    `${pageDir} has no attnscope_gpu_tests.js: build the attnscope_gpu_tests_page target (setup.sh does)`);
  server = await startServer({ root: pageDir });
  browser = await launchBrowser({ webgpu: true });
});
after(async () => {
  await browser?.close();
  server?.stop();
});

// Runs the page with doctest's options; resolves to { exit, log }.
async function runTests(options) {
  const page = await browser.newPage();
  const errors = watchErrors(page);
  const query = options.map((o) => 'arg=' + encodeURIComponent(o)).join('&');
  await page.goto(`${server.url}index.html?${query}`);
  await page.waitForFunction(() => window.gpuTests && window.gpuTests.exit !== null, null,
    { timeout: 15 * 60 * 1000, polling: 1000 });
  const result = await page.evaluate(() => window.gpuTests);
  await page.close();
  // Emscripten reports the program's exit by throwing ExitStatus; anything else is an error.
  const unexpected = errors.filter((e) => !/ExitStatus|exit\(0\)/.test(e));
  return { ...result, errors: unexpected };
}

test('the GPU tests pass on the page\'s navigator.gpu: op table, edits, captures, parity on every fixture', { timeout: 16 * 60 * 1000 }, async () => {
  // --duration: doctest names every case it ran (with its time), so the run shows which did.
  const { exit, log, errors } = await runTests(['--duration=true', '--no-colors=true']);
  const text = log.join('\n');
  assert.match(text, /testing the WebGPU backend on (google )?swiftshader/i, 'the backend under test is the page\'s adapter');
  assert.match(text, /\[doctest\] Status: SUCCESS!/, text.slice(-4000));
  for (const name of ['parity with transformers on every backend',
    'every backend matches the reference on every op case, through its buffers',
    'declarative edits match their callbacks on every backend',
    'captures stay in a device backend\'s memory until asked for',
    'WebGPU\'s few-token products give the same bits on every run, with and without subgroups'])
    assert.ok(text.includes(name), `ran: ${name}`);
  // Chromium's SwiftShader adapter has subgroups: the subgroup form of the kernels ran here too.
  assert.match(text, /WebGPU features in use: '[^']*subgroups/, 'the subgroup kernels ran');
  assert.equal(exit, 0);
  assert.deepEqual(errors, []);
});
