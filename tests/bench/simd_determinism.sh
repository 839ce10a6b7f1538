#!/usr/bin/env bash
# simd_determinism.sh — does a seed give the same SAE circuit on every SIMD target? The SAE
# circuit codes (published protocol) for seeds 0..N−1 on each task of attnscope-tasks, natively on
# every x86 target this CPU runs (ATTNSCOPE_SIMD_TARGET) and in WASM (SIMD128, under node): the
# node ROC AUC per seed, and whether it equals the first target's.
#
#   bash tests/bench/simd_determinism.sh [build/attnscope] [build-wasm] [seeds]
set -euo pipefail
cd "$(dirname "$0")/../.."
cli=${1:-build/attnscope}
wasm=${2:-build-wasm}
seeds=${3:-3}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
targets=$("$cli" info | sed -n 's/^SIMD targets[^:]*: //p' | sed 's/ (in use)//')
echo "native targets: $targets; WASM: $wasm/public/attnscope_core.js" >&2
for target in $targets; do
  for task in induction ioi greater_than docstring; do
    ATTNSCOPE_SIMD_TARGET=$target "$cli" circuit --model models/attnscope-tasks \
      --positive "models/tasks/${task}_positive.jsonl" --negative "models/tasks/${task}_negative.jsonl" \
      --ground-truth models/tasks/ground_truth.json --seeds "$seeds" --json >"$tmp/$target.$task.json"
  done
done
node --no-experimental-fetch - "$tmp" "$seeds" "$(realpath "$wasm")" $targets <<'EOF'
const fs = require('fs');
const path = require('path');
const [dir, seedsText, wasm, ...targets] = process.argv.slice(2);
const seeds = Number(seedsText);
const tasks = ['induction', 'ioi', 'greater_than', 'docstring'];
const auc = {};
for (const t of targets)
  for (const task of tasks)
    auc[`${t}.${task}`] = JSON.parse(fs.readFileSync(`${dir}/${t}.${task}.json`)).stability.auc;
(async () => {
  const createAttnscopeCore = require(path.join(wasm, 'public', 'attnscope_core.js'));
  const core = await createAttnscopeCore();
  const folder = 'models/attnscope-tasks';
  const files = {};
  for (const f of ['config.json', 'model.safetensors', 'tokenizer.json'])
    files[f] = new Uint8Array(fs.readFileSync(path.join(folder, f)));
  const model = core.loadModel(files);
  const truth = fs.readFileSync('models/tasks/ground_truth.json', 'utf8');
  for (const task of tasks) {
    const pos = fs.readFileSync(`models/tasks/${task}_positive.jsonl`, 'utf8');
    const neg = fs.readFileSync(`models/tasks/${task}_negative.jsonl`, 'utf8');
    auc[`WASM.${task}`] = [...Array(seeds).keys()].map((seed) =>
      model.evaluateCircuit(model.circuit(pos, neg, { seed }).scores, truth, task).auc);
  }
  const all = [...targets, 'WASM'];
  console.log(`| target | ${tasks.map((t) => `${t} (seeds 0..${seeds - 1})`).join(' | ')} | same as ${all[0]} |`);
  console.log(`| --- | ${tasks.map(() => '---').join(' | ')} | --- |`);
  for (const t of all) {
    let same = 0, total = 0;
    const cells = tasks.map((task) => {
      const mine = auc[`${t}.${task}`], ref = auc[`${all[0]}.${task}`];
      mine.forEach((v, i) => { total++; if (Math.abs(v - ref[i]) < 1e-9) same++; });
      return mine.map((v) => v.toFixed(3)).join(' ');
    });
    console.log(`| ${t} | ${cells.join(' | ')} | ${same}/${total} seeds |`);
  }
})();
EOF
