// api.test.mjs — the core's JavaScript API (wasm/bindings.cpp) under node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const dir = process.env.ATTNSCOPE_WASM_DIR;
assert.ok(dir, 'ATTNSCOPE_WASM_DIR must point at the WASM build output');
const createAttnscopeCore = require(path.join(dir, 'attnscope_core.js'));

test('the core module starts and reports its version and build', async () => {
  const core = await createAttnscopeCore();
  assert.match(core.version(), /^\d+\.\d+\.\d+$/);
  const info = core.buildInfo();
  assert.ok(info.startsWith('wasm32'), info);
  assert.ok(info.includes('simd128'), info);
  const backends = core.backends();
  assert.ok(backends.size() >= 1);
  assert.equal(backends.get(0), 'cpu-reference');
  backends.delete();
});

// The gpt2 fixture (models/fixtures, from transformers) loaded from bytes, as the browser does.
import { readFileSync, readdirSync } from 'node:fs';
const fixtures = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../models/fixtures');

function readFolder(name) {
  const files = {};
  for (const file of readdirSync(path.join(fixtures, name))) {
    if (file !== 'reference.safetensors' && file !== 'patching.safetensors') files[file] = new Uint8Array(readFileSync(path.join(fixtures, name, file)));
  }
  return files;
}

// A minimal safetensors reader for the reference outputs (F32 and I64 only).
function readSafetensors(file) {
  const buf = readFileSync(file);
  const headerLength = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + headerLength).toString('utf8'));
  const base = 8 + headerLength;
  const tensors = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [begin, end] = info.data_offsets;
    const bytes = buf.subarray(base + begin, base + end);
    const copy = new Uint8Array(bytes).buffer;
    tensors[name] = info.dtype === 'I64' ? Array.from(new BigInt64Array(copy), Number) : new Float32Array(copy);
  }
  return tensors;
}

test('a model loads from bytes and its logits and patterns match transformers', async () => {
  const core = await createAttnscopeCore();
  const model = core.loadModel(readFolder('gpt2'));
  assert.ok(model, core.lastError());
  assert.match(model.describe(), /^gpt2: 3 layers, 4 heads/);
  const ref = readSafetensors(path.join(fixtures, 'gpt2', 'reference.safetensors'));
  const ids = ref['L32.input_ids'];
  const out = model.run(Int32Array.from(ids), 'logits,blocks.*.attn.hook_pattern');
  assert.equal(out.error, undefined);
  assert.deepEqual(out.logits.shape, [32, 512]);
  assert.deepEqual(out['blocks.2.attn.hook_pattern'].shape, [4, 32, 32]);
  let diff = 0, scale = 0;
  const expected = ref['L32.logits'];
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(out.logits.data[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  assert.ok(diff / scale <= 1e-4, `relative logit difference ${diff / scale}`);
  const pattern = out['blocks.1.attn.hook_pattern'].data, refPattern = ref['L32.blocks.1.attn.hook_pattern'];
  let patternDiff = 0;
  for (let i = 0; i < refPattern.length; i++) patternDiff = Math.max(patternDiff, Math.abs(pattern[i] - refPattern[i]));
  assert.ok(patternDiff <= 1e-4, `pattern difference ${patternDiff}`);
  const tokens = model.tokenize('Hello world');
  assert.ok(tokens instanceof Int32Array && tokens.length > 0);
  model.delete();
});

test('bad inputs give an error, not an exception or a crash', async () => {
  const core = await createAttnscopeCore();
  assert.equal(core.loadModel({ 'config.json': new TextEncoder().encode('{"model_type": "bert"}') }), null);
  assert.match(core.lastError(), /unsupported architecture 'bert'/);
  const files = readFolder('gpt2');
  files['model.safetensors'] = files['model.safetensors'].subarray(0, 1000);
  assert.equal(core.loadModel(files), null);
  assert.match(core.lastError(), /model\.safetensors/);
  const model = core.loadModel(readFolder('gpt2'));
  assert.match(model.run([1, 2, 9999], 'logits').error, /outside the vocabulary/);
  assert.match(model.run([], 'logits').error, /empty/);
  model.delete();
});

// The SAE circuit method (core/sae) on attnscope-tasks' IOI prompts, loaded from bytes.
const models = path.resolve(fixtures, '..');
function readModel(folder) {
  const files = {};
  for (const file of readdirSync(folder)) {
    if (file === 'config.json' || file === 'tokenizer.json' || file === 'model.safetensors') {
      files[file] = new Uint8Array(readFileSync(path.join(folder, file)));
    }
  }
  return files;
}

test('circuit finds per-head scores on IOI and evaluateCircuit scores them', async () => {
  const core = await createAttnscopeCore();
  const model = core.loadModel(readModel(path.join(models, 'attnscope-tasks')));
  assert.ok(model, core.lastError());
  const positive = readFileSync(path.join(models, 'tasks', 'ioi_positive.jsonl'), 'utf8');
  const negative = readFileSync(path.join(models, 'tasks', 'ioi_negative.jsonl'), 'utf8');
  const truth = readFileSync(path.join(models, 'tasks', 'ground_truth.json'), 'utf8');

  const c = model.circuit(positive, negative, { epochs: 100, seed: 1 });
  assert.equal(c.error, undefined, c.error);
  assert.equal(c.nLayers, 4);
  assert.equal(c.nHeads, 8);
  assert.ok(c.scores instanceof Float32Array && c.scores.length === 32);
  const sum = c.scores.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sum - 1) < 1e-4, `softmax scores sum to ${sum}`);
  assert.ok(c.losses instanceof Float32Array && c.losses.length === 100);
  assert.ok(c.losses[99] < c.losses[0], 'training lowers the loss');
  assert.ok(Array.isArray(c.circuit) && c.circuit.every((h) => /^L\d+H\d+$/.test(h)));
  // The published protocol: 10 prompts drawn from the pool to train on, all 400 scored.
  assert.equal(c.protocol, 'published');
  assert.deepEqual(c.codes.shape, [400, 32, 1]);
  assert.equal(c.codes.data.length, 400 * 32);
  assert.equal(c.edges.length, 32 * 32);
  assert.ok(c.edgeScores instanceof Float32Array && c.edgeScores.length === 32);
  assert.equal(c.positivePrompts.length, 200);
  assert.equal(c.trainPrompts.length, 10);
  const v1 = model.circuit(positive, negative, { epochs: 20, protocol: 'attnscope-v1' });
  assert.equal(v1.error, undefined, v1.error);
  assert.deepEqual(v1.codes.shape, [10, 32, 1]);
  assert.equal(v1.positivePrompts.length, 5);
  assert.match(model.circuit(positive, negative, { protocol: 'x' }).error, /protocol/);
  for (const key of ['activations', 'training', 'scoring']) assert.ok(c.timings[key] >= 0, key);

  const e = model.evaluateCircuit(c.scores, truth, 'ioi');
  assert.equal(e.error, undefined, e.error);
  assert.ok(e.auc >= 0 && e.auc <= 1);
  assert.ok(e.precision >= 0 && e.recall >= 0 && e.relevant === 3);  // the 80% rule's IOI circuit
  assert.ok(e.roc.fpr instanceof Float32Array && e.roc.fpr.length === e.roc.tpr.length);
  assert.equal(e.roc.fpr[e.roc.fpr.length - 1], 1);

  // Errors come back as {error}, never as exceptions.
  assert.match(model.evaluateCircuit(c.scores, truth, 'nope').error, /no heads for task 'nope'/);
  assert.match(model.evaluateCircuit(new Float32Array(3), truth, 'ioi').error, /3 head scores/);
  assert.match(model.circuit(positive, negative, { epochs: 0 }).error, /epochs/);
  assert.match(model.circuit(positive, negative, { epochs: 'x' }).error, /must be a number/);
  assert.match(model.circuit('{"id": 0', negative, {}).error, /positive prompts: line 1/);

  // A default run (the published protocol: 10 training prompts, 200 hidden units, 500 epochs),
  // timed.
  const start = performance.now();
  const full = model.circuit(positive, negative, {});
  const ms = performance.now() - start;
  assert.equal(full.error, undefined, full.error);
  assert.equal(full.losses.length, 500);
  const auc = model.evaluateCircuit(full.scores, truth, 'ioi').auc;
  console.log(`circuit (IOI, default options, WASM): ${(ms / 1000).toFixed(2)} s ` +
    `(activations ${full.timings.activations.toFixed(3)} s, training ` +
    `${full.timings.training.toFixed(2)} s, scoring ${full.timings.scoring.toFixed(3)} s), ` +
    `AUC ${auc.toFixed(3)}, circuit ${full.circuit.join(' ')}`);
  model.delete();
});

test('discover runs edge attribution and ACDC; evaluateCircuit scores them; errors come back', async () => {
  const core = await createAttnscopeCore();
  const model = core.loadModel(readModel(path.join(models, 'attnscope-tasks')));
  assert.ok(model, core.lastError());
  const positive = readFileSync(path.join(models, 'tasks', 'ioi_positive.jsonl'), 'utf8');
  const negative = readFileSync(path.join(models, 'tasks', 'ioi_negative.jsonl'), 'utf8');
  const truth = readFileSync(path.join(models, 'tasks', 'ground_truth.json'), 'utf8');

  let start = performance.now();
  const eap = model.discover(positive, negative, { method: 'eap', prompts: 50, seed: 0 });
  const eapMs = performance.now() - start;
  assert.equal(eap.error, undefined, eap.error);
  assert.equal(eap.method, 'eap');
  assert.ok(eap.headScores instanceof Float32Array && eap.headScores.length === 32);
  assert.equal(eap.prompts.length, 50);
  assert.equal(eap.references, 50);  // paired: one twin each
  assert.equal(eap.edges.length, 20);
  assert.match(eap.edges[0].edge, / -> /);
  const e = model.evaluateCircuit(eap.headScores, truth, 'ioi');
  assert.ok(e.auc >= 0 && e.auc <= 1, e.error);

  start = performance.now();
  const acdc = model.discover(positive, negative,
    { method: 'acdc', prompts: 2, metric: 'logit-diff', thresholds: [0.01, 0.3] });
  const acdcMs = performance.now() - start;
  assert.equal(acdc.error, undefined, acdc.error);
  assert.equal(acdc.runs.length, 2);
  assert.ok(acdc.runs[0].keptEdges >= acdc.runs[1].keptEdges);
  assert.ok(acdc.runs[0].heads instanceof Float32Array && acdc.runs[0].heads.length === 32);
  console.log(`discover in WASM (IOI): EAP 50 prompts ${(eapMs / 1000).toFixed(2)} s, AUC ` +
    `${e.auc.toFixed(3)}; ACDC 2 prompts × 2 thresholds ${(acdcMs / 1000).toFixed(2)} s`);

  assert.match(model.discover(positive, negative, { method: 'x' }).error, /method/);
  assert.match(model.discover(positive, negative, { corruption: 'x' }).error, /corruption/);
  assert.match(model.discover(positive, negative, { prompts: -1 }).error, /prompts/);
  assert.match(model.discover(positive, negative, { seed: 1.5 }).error, /seed/);
  assert.match(model.discover(positive, negative, { thresholds: 'x' }).error, /thresholds/);
  assert.match(model.discover(positive, negative.split('\n').slice(0, 3).join('\n'), {}).error,
    /one negative per positive/);
  model.delete();
});
