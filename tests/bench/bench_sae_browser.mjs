// bench_sae_browser.mjs — times the SAE circuit pipeline of bench_sae_wasm.cpp (activations of 10
// prompts, 500 epochs, scoring) on its two models in headless Chromium and under node, from the
// WASM build, and natively when a native build of it is there; prints one JSON line per run and a
// table of seconds.
//
//   NODE_PATH=/usr/share/nodejs emcmake cmake -S . -B build-wasm-sae -G Ninja -DCMAKE_BUILD_TYPE=Release
//   cmake --build build-wasm-sae -j2 --target bench_sae_wasm
//   cmake --build build-sae -j2 --target bench_sae_wasm          (optional: the native column)
//   node tests/bench/bench_sae_browser.mjs [gpt2|tasks|all] [--wasm-build DIR] [--native EXE]
//                                          [--skip-node] [--skip-native] [--skip-chromium]
//
// Chromium is Debian's /usr/bin/chromium driven by playwright-core from tests/browser/node_modules
// (run `npm ci` there once; no browser is ever downloaded). The page is served by a small static
// server in this script on a free local port; the module runs on the page's main thread (the WASM
// build has no threads), and the script waits for the program to exit.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(path.join(repoRoot, 'tests', 'browser', 'package.json'));
const { chromium } = require('playwright-core');

// The flags the project's browser tests use (tests/browser/harness.mjs, ../shared/BUILD-NOTES.md).
const CHROMIUM_ARGS = [
  '--headless=new', '--no-sandbox', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-quic',
];

function parseArgs(argv) {
  const opts = {
    which: 'all',
    wasmBuild: path.join(repoRoot, 'build-wasm-sae'),
    native: path.join(repoRoot, 'build-sae', 'bench_sae_wasm'),
    node: true, chromium: true, nativeRun: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === 'gpt2' || a === 'tasks' || a === 'all') opts.which = a;
    else if (a === '--wasm-build') opts.wasmBuild = path.resolve(argv[++i]);
    else if (a === '--native') opts.native = path.resolve(argv[++i]);
    else if (a === '--skip-node') opts.node = false;
    else if (a === '--skip-chromium') opts.chromium = false;
    else if (a === '--skip-native') opts.nativeRun = false;
    else throw new Error(`unknown argument ${a} (see the comment at the top of this file)`);
  }
  return opts;
}

// The program's JSON lines from its output.
function results(lines) {
  return lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
}

// Runs an executable (native, or node on the .js) and resolves to its JSON lines.
function runProcess(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; process.stdout.write(d); });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`${command} ${args.join(' ')} exited with ${code}`));
      else resolve(results(out.split('\n')));
    });
  });
}

const CONTENT_TYPES = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };

// Serves the page and the build's bench_sae_wasm.{js,wasm}; resolves to { url, close }.
function serve(wasmBuild, which) {
  const page = `<!doctype html><meta charset="utf-8"><title>bench_sae_wasm</title>
<script>
  window.benchLines = [];
  var Module = {
    arguments: [${JSON.stringify(which)}],
    print: (text) => { window.benchLines.push(text); console.log(text); },
    printErr: (text) => console.error(text),
    onExit: (code) => { window.benchExit = code; },
    onAbort: (what) => { window.benchExit = 'abort: ' + what; },
  };
</script>
<script src="bench_sae_wasm.js"></script>
`;
  const server = http.createServer((req, res) => {
    const name = new URL(req.url, 'http://localhost').pathname;
    if (name === '/' || name === '/index.html') {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end(page);
      return;
    }
    if (name !== '/bench_sae_wasm.js' && name !== '/bench_sae_wasm.wasm') {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'Content-Type': CONTENT_TYPES[path.extname(name)] });
    res.end(readFileSync(path.join(wasmBuild, name)));
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({ url: `http://127.0.0.1:${server.address().port}/`, close: () => server.close() });
    });
  });
}

async function runChromium(wasmBuild, which) {
  const server = await serve(wasmBuild, which);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (msg) => {
      if (msg.type() === 'log') console.log(msg.text());
      else if (msg.type() === 'error') errors.push(msg.text());
    });
    await page.goto(server.url);
    await page.waitForFunction(() => window.benchExit !== undefined, null,
                               { timeout: 20 * 60 * 1000, polling: 1000 });
    const exit = await page.evaluate(() => window.benchExit);
    const lines = await page.evaluate(() => window.benchLines);
    if (exit !== 0) throw new Error(`the page's program ended with ${exit}: ${errors.join('; ')}`);
    return results(lines);
  } finally {
    await browser.close();
    server.close();
  }
}

const opts = parseArgs(process.argv.slice(2));
const js = path.join(opts.wasmBuild, 'bench_sae_wasm.js');
if ((opts.node || opts.chromium) && !existsSync(js))
  throw new Error(`${js} is missing: build the bench_sae_wasm target of the WASM build first`);
const runs = {};  // platform → results
if (opts.nativeRun && existsSync(opts.native)) {
  console.log(`# native: ${opts.native}`);
  runs.native = await runProcess(opts.native, [opts.which]);
}
if (opts.node) {
  console.log(`# node ${process.version}: ${js}`);
  runs.node = await runProcess(process.execPath, ['--no-experimental-fetch', js, opts.which]);
}
if (opts.chromium) {
  const version = (await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS })
    .then(async (b) => { const v = b.version(); await b.close(); return v; }));
  console.log(`# headless Chromium ${version}: ${js}`);
  runs.chromium = await runChromium(opts.wasmBuild, opts.which);
}

// Seconds per model and platform: the pipeline, then (activations + training + scoring).
const models = [...new Set(Object.values(runs).flat().map((r) => r.model))];
const platforms = Object.keys(runs);
console.log('\nmodel'.padEnd(22) + platforms.map((p) => p.padStart(28)).join(''));
for (const model of models) {
  let row = model.padEnd(21);
  for (const p of platforms) {
    const r = runs[p].find((x) => x.model === model);
    row += (r ? `${r.pipeline_s.toFixed(2)} s (${r.activations_s.toFixed(2)}+${r.training_s.toFixed(2)}+` +
                `${r.scoring_s.toFixed(2)})` : '-').padStart(28);
  }
  console.log(row);
}
