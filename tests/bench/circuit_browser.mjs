// circuit_browser.mjs — seconds per circuit run in headless Chromium against the native CLI on
// the same machine, same settings, same seed: the SAE circuit codes (published protocol, seed 0),
// edge attribution patching (50 positives drawn with seed 0, paired corruption) and ACDC (KL,
// paired, 9 thresholds) on each task of attnscope-tasks, through the JS API (model.circuit,
// model.discover of build-wasm/public/attnscope_core.js, one thread) and `attnscope circuit` /
// `attnscope discover` with ATTNSCOPE_THREADS=1. Prints a markdown table and each run's AUC, so
// a reader sees both sides computed the same circuit.
//
//   node tests/bench/circuit_browser.mjs [--acdc-prompts N] [--acdc-tasks ioi,docstring]
//
// ACDC on 50 prompts takes minutes a run; by default it runs on IOI only, with 50 prompts.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(path.join(repoRoot, 'tests', 'browser', 'package.json'));
const { chromium } = require('playwright-core');
const CHROMIUM_ARGS = ['--headless=new', '--no-sandbox', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const acdcPrompts = Number(option('--acdc-prompts', '50'));
const acdcTasks = option('--acdc-tasks', 'ioi').split(',');
const tasks = ['induction', 'ioi', 'greater_than', 'docstring'];
const cli = path.join(repoRoot, 'build', 'attnscope');
const wasmDir = path.join(repoRoot, 'build-wasm', 'public');

// The runs: [label, task, native CLI arguments, JS call].
const runs = [];
for (const task of tasks) {
  const files = ['--model', 'models/attnscope-tasks', '--positive', `models/tasks/${task}_positive.jsonl`,
    '--negative', `models/tasks/${task}_negative.jsonl`, '--ground-truth', 'models/tasks/ground_truth.json', '--json'];
  runs.push(['SAE codes (published, seed 0)', task, ['circuit', ...files, '--seed', '0'], { kind: 'circuit', options: { seed: 0 } }]);
  runs.push(['EAP (paired, 50 prompts)', task, ['discover', ...files, '--method', 'eap', '--corruption', 'paired', '--prompts', '50', '--seed', '0'],
    { kind: 'discover', options: { method: 'eap', corruption: 'paired', prompts: 50, seed: 0 } }]);
  if (acdcTasks.includes(task))
    runs.push([`ACDC (KL, paired, ${acdcPrompts} prompts, 9 τ)`, task,
      ['discover', ...files, '--method', 'acdc', '--corruption', 'paired', '--prompts', String(acdcPrompts), '--seed', '0'],
      { kind: 'discover', options: { method: 'acdc', corruption: 'paired', prompts: acdcPrompts, seed: 0 } }]);
}

function native(cliArgs) {
  const start = performance.now();
  const r = spawnSync(cli, cliArgs, { cwd: repoRoot, env: { ...process.env, ATTNSCOPE_THREADS: '1' }, maxBuffer: 1 << 26 });
  const seconds = (performance.now() - start) / 1000;
  if (r.status !== 0) throw new Error(`${cliArgs.join(' ')}: ${r.stderr}`);
  return { seconds, auc: JSON.parse(r.stdout).auc };
}

function serve() {
  const types = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };
  const server = http.createServer((req, res) => {
    const name = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
    const file = name === '/' ? null
      : name.startsWith('/models/') ? path.join(repoRoot, name) : path.join(wasmDir, name);
    if (!file) {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<!doctype html><meta charset="utf-8"><script src="attnscope_core.js"></script>');
      return;
    }
    try {
      const body = readFileSync(file);
      res.writeHead(200, { 'Content-Type': types[path.extname(file)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404);
      res.end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () =>
    resolve({ url: `http://127.0.0.1:${server.address().port}/`, close: () => server.close() })));
}

const server = await serve();
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
const page = await browser.newPage();
page.on('pageerror', (e) => console.error(String(e)));
await page.goto(server.url);
await page.evaluate(async () => {
  const core = await window.createAttnscopeCore();
  const files = {};
  for (const f of ['config.json', 'model.safetensors', 'tokenizer.json'])
    files[f] = new Uint8Array(await (await fetch(`models/attnscope-tasks/${f}`)).arrayBuffer());
  window.model = core.loadModel(files);
  window.truth = await (await fetch('models/tasks/ground_truth.json')).text();
  window.tasks = {};
  for (const t of ['induction', 'ioi', 'greater_than', 'docstring'])
    window.tasks[t] = [await (await fetch(`models/tasks/${t}_positive.jsonl`)).text(),
      await (await fetch(`models/tasks/${t}_negative.jsonl`)).text()];
});
const rows = [];
for (const [label, task, cliArgs, call] of runs) {
  const web = await page.evaluate(({ task, call }) => {
    const [pos, neg] = window.tasks[task];
    const start = performance.now();
    const r = call.kind === 'circuit' ? window.model.circuit(pos, neg, call.options)
      : window.model.discover(pos, neg, call.options);
    const seconds = (performance.now() - start) / 1000;
    if (r.error) throw new Error(r.error);
    const scores = call.kind === 'circuit' ? r.scores : r.headScores;
    return { seconds, auc: window.model.evaluateCircuit(scores, window.truth, task).auc };
  }, { task, call }, { timeout: 0 });
  const nat = native(cliArgs);
  rows.push([label, task, nat, web]);
  console.error(`${label}, ${task}: native ${nat.seconds.toFixed(2)} s (AUC ${nat.auc.toFixed(3)}), ` +
    `Chromium ${web.seconds.toFixed(2)} s (AUC ${web.auc.toFixed(3)})`);
}
await browser.close();
server.close();
console.log('| run | task | native, 1 thread (CLI, model load included) | headless Chromium (JS API) | AUC native / Chromium |');
console.log('| --- | --- | --- | --- | --- |');
for (const [label, task, nat, web] of rows)
  console.log(`| ${label} | ${task} | ${nat.seconds.toFixed(2)} s | ${web.seconds.toFixed(2)} s | ${nat.auc.toFixed(3)} / ${web.auc.toFixed(3)} |`);
