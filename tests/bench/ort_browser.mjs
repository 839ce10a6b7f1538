// ort_browser.mjs — issue 12's browser peer: in headless Chromium, attnscope's WASM forward pass
// (attnscope_core.js: loadModel / run, wasm/bindings.cpp; one thread) against onnxruntime-web's
// session.run on the wasm execution provider at numThreads 1, on the same GPT-2 weights: the HF
// folder of torch_plain_gpt2.py --save and its ONNX export by export_onnx.py (logits and every
// attention pattern as outputs, so both keep all patterns). Target: attnscope ≤ 0.75× ort's time.
//
//   (cd tests/bench/ort && npm ci)            # onnxruntime-web + playwright-core, no browser
//   python3 tests/bench/torch_plain_gpt2.py --save /tmp/attnscope-gpt2-rand
//   python3 tests/bench/export_onnx.py --model /tmp/attnscope-gpt2-rand --out /tmp/attnscope-gpt2-rand.onnx
//   node tests/bench/ort_browser.mjs [--model DIR] [--onnx FILE] [--wasm DIR] [--tokens 128]
//                                    [--repeat 5] [--rounds 2] [--warmup 1]
//
// --wasm DIR holds attnscope_core.{js,wasm} (default /work/main/build-wasm/public). Each round
// opens a fresh page per peer (attnscope, then ort), --warmup untimed passes (V8 compiles a hot
// function again, optimised, only after some calls: more warm-up measures the steady state) and
// --repeat timed passes,
// ids (i * 7919 + 13) % vocab as `attnscope bench`. Before timing, both run 10 fixed ids and the
// script prints the max |difference| of their logits. Prints JSON lines and a table.
import { readFileSync, statSync, createReadStream } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, 'ort', 'package.json'));
const { chromium } = require('playwright-core');
const ortDist = path.join(here, 'ort', 'node_modules', 'onnxruntime-web', 'dist');
const ortVersion = JSON.parse(readFileSync(path.join(ortDist, '..', 'package.json'))).version;

const opt = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const modelDir = opt('--model', '/tmp/attnscope-gpt2-rand');
const onnxFile = opt('--onnx', '/tmp/attnscope-gpt2-rand.onnx');
const wasmDir = opt('--wasm', '/work/main/build-wasm/public');
const tokens = Number(opt('--tokens', 128)), repeat = Number(opt('--repeat', 5));
const warmup = Number(opt('--warmup', 1));
const rounds = Number(opt('--rounds', 2));
const vocab = JSON.parse(readFileSync(path.join(modelDir, 'config.json'))).vocab_size;
const CHECK_IDS = [464, 2068, 7586, 21831, 18045, 625, 262, 16931, 3290, 13];

// Static files: /ort/* (onnxruntime-web's dist), /as/* (attnscope's WASM build), /model/* (the HF
// folder), /model.onnx. Cross-origin isolated like `attnscope serve` (threads are not used).
const routes = { '/ort/': ortDist, '/as/': wasmDir, '/model/': modelDir };
const TYPES = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm' };
function serve() {
  const server = http.createServer((req, res) => {
    const name = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    let file = null;
    if (name === '/model.onnx') file = onnxFile;
    for (const [prefix, dir] of Object.entries(routes))
      if (name.startsWith(prefix) && !name.includes('..')) file = path.join(dir, name.slice(prefix.length));
    const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
    if (name === '/') {
      res.writeHead(200, { ...headers, 'Content-Type': 'text/html' });
      res.end('<!doctype html><meta charset="utf-8"><title>ort_browser</title>');
      return;
    }
    try {
      const size = statSync(file).size;
      res.writeHead(200, { ...headers, 'Content-Length': size,
        'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
      createReadStream(file).pipe(res);
    } catch {
      res.writeHead(404, headers);
      res.end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () =>
    resolve({ url: `http://127.0.0.1:${server.address().port}/`, close: () => server.close() })));
}

// In the page: attnscope. Loads the folder, runs the check ids, then times run() with every pattern
// (and the logits) copied out, as the explorer asks for them.
async function attnscopePage({ ids, checkIds, repeat, warmup }) {
  await new Promise((ok, fail) => {
    const s = document.createElement('script');
    s.src = '/as/attnscope_core.js'; s.onload = ok; s.onerror = fail;
    document.head.appendChild(s);
  });
  const core = await createAttnscopeCore({ locateFile: (f) => '/as/' + f });
  const files = {};
  for (const f of ['config.json', 'model.safetensors'])
    files[f] = new Uint8Array(await (await fetch('/model/' + f)).arrayBuffer());
  let t = performance.now();
  const model = core.loadModel(files);
  if (!model) throw new Error(core.lastError());
  const loadMs = performance.now() - t;
  const hooks = 'logits,blocks.*.attn.hook_pattern';
  const check = model.run(Int32Array.from(checkIds), hooks);
  if (check.error) throw new Error(check.error);
  const times = [];
  for (let i = 0; i < warmup + repeat; i++) {
    t = performance.now();
    const out = model.run(Int32Array.from(ids), hooks);
    const ms = performance.now() - t;
    if (out.error) throw new Error(out.error);
    if (i >= warmup) times.push(ms);  // the first passes are the warm-up
  }
  model.delete();
  return { loadMs, times, checkLogits: Array.from(check.logits.data), checkShape: check.logits.shape,
           version: core.version(), buildInfo: core.buildInfo() };
}

// In the page: onnxruntime-web, wasm EP, one thread; all 13 outputs are fetched.
async function ortPage({ ids, checkIds, repeat, warmup }) {
  const ort = await import('/ort/ort.wasm.min.mjs');
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.wasmPaths = '/ort/';
  let t = performance.now();
  const session = await ort.InferenceSession.create('/model.onnx',
    { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const loadMs = performance.now() - t;
  const feed = (xs) => ({ input_ids: new ort.Tensor('int64', BigInt64Array.from(xs, BigInt), [xs.length]) });
  const check = await session.run(feed(checkIds));
  const times = [];
  for (let i = 0; i < warmup + repeat; i++) {
    t = performance.now();
    const out = await session.run(feed(ids));
    const ms = performance.now() - t;
    const last = out[session.outputNames[session.outputNames.length - 1]];
    if (last.dims[1] !== ids.length) throw new Error('bad pattern shape ' + last.dims);
    if (i >= warmup) times.push(ms);
  }
  await session.release();
  return { loadMs, times, checkLogits: Array.from(check.logits.data), checkShape: check.logits.dims,
           outputs: session.outputNames.length, numThreads: ort.env.wasm.numThreads };
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const server = await serve();
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: [
  '--headless=new', '--no-sandbox', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-quic'] });
const ids = Array.from({ length: tokens }, (_, i) => (i * 7919 + 13) % vocab);
const args = { ids, checkIds: CHECK_IDS, repeat, warmup };
const medians = { attnscope: [], ort: [] };
try {
  console.log(JSON.stringify({ chromium: browser.version(), onnxruntimeWeb: ortVersion, model: modelDir, onnx: onnxFile, wasm: wasmDir, tokens, repeat, warmup, rounds }));
  for (let r = 0; r < rounds; r++) {
    const results = {};
    for (const [peer, fn] of [['attnscope', attnscopePage], ['ort', ortPage]]) {
      const context = await browser.newContext();
      const page = await context.newPage();
      page.on('pageerror', (e) => console.error(`[${peer}] ${e}`));
      await page.goto(server.url);
      results[peer] = await page.evaluate(fn, args);
      await context.close();
      const { checkLogits, checkShape, ...rest } = results[peer];
      medians[peer].push(median(rest.times));
      console.log(JSON.stringify({ peer, round: r + 1, medianMs: +median(rest.times).toFixed(1), ...rest,
        times: rest.times.map((x) => +x.toFixed(1)), loadMs: +rest.loadMs.toFixed(0), checkShape }));
    }
    const a = results.attnscope.checkLogits, o = results.ort.checkLogits;
    let diff = a.length === o.length ? 0 : Infinity;
    for (let i = 0; i < a.length && diff !== Infinity; i++) diff = Math.max(diff, Math.abs(a[i] - o[i]));
    console.log(`check (10 ids): logits max |attnscope - ort| = ${diff.toExponential(3)} over ${a.length} values`);
  }
} finally {
  await browser.close();
  server.close();
}
const am = median(medians.attnscope), om = median(medians.ort);
console.log(`\n| cell | attnscope WASM ms | onnxruntime-web ${ortVersion} wasm ms | ratio (target ≤ 0.75) |`);
console.log('|---|---|---|---|');
console.log(`| T=${tokens} threads=1, every pattern kept | ${am.toFixed(1)} | ${om.toFixed(1)} | ${(am / om).toFixed(2)} |`);
