#!/usr/bin/env bash
# cli_test.sh — the CLI's contract: --help lists subcommands, --version prints one, bad input
# gives one error line and a non-zero exit.
set -u
cli=$1
fail=0
check() { # check NAME COMMAND...
  local name=$1; shift
  if "$@"; then echo "ok   $name"; else echo "FAIL $name"; fail=1; fi
}
help=$("$cli" --help)
check "--help lists info" grep -q '^  info' <<<"$help"
check "--help lists serve" grep -q '^  serve' <<<"$help"
check "--version prints a version" grep -Eq '^attnscope [0-9]+\.[0-9]+\.[0-9]+$' <<<"$("$cli" --version)"
check "info names the backend" grep -q 'cpu-reference' <<<"$("$cli" info)"

"$cli" >/dev/null 2>&1; code=$?
check "no subcommand is an error" test $code -ne 0
# CLI11 alone prints the general help and exits 0 for `UNKNOWN --help`.
out=$("$cli" UNKNOWN --help 2>&1); code=$?
check "an unknown subcommand is an error, even with --help" test $code -eq 2
check "an unknown subcommand is named in one line" \
  test "$(grep -c "unknown command 'UNKNOWN'" <<<"$out")" = 1
out=$("$cli" $'\e[31mred' 2>&1)
check "an unknown subcommand is printed without terminal escapes" grep -q 'unknown command .\\x1b\[31mred' <<<"$out"
out=$("$cli" serve --root /nonexistent --port 0 2>&1); code=$?
check "serve without a web build exits non-zero" test $code -ne 0
check "serve without a web build says why in one line" \
  test "$(grep -c 'attnscope: error: no web build' <<<"$out")" = 1

# Models: the committed fixtures (models/fixtures) and broken copies of them.
fixtures=$(cd "$(dirname "$0")/../../models/fixtures" && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
check "--help lists dump" grep -q '^  dump' <<<"$help"
check "--help lists tokenize" grep -q '^  tokenize' <<<"$help"
check "info lists the architectures" grep -q 'gpt_neox' <<<"$("$cli" info)"
check "info --model describes a model" \
  grep -q 'llama: 3 layers, 4 heads (2 kv), d_model 64' <<<"$("$cli" info --model "$fixtures/llama")"
check "info --model names the weights' dtype" grep -q 'stored as BF16' <<<"$("$cli" info --model "$fixtures/gpt2_bf16")"

"$cli" dump --model "$fixtures/gpt2" --ids 1,2,3,4,5 --out "$tmp/out.safetensors" 2>/dev/null
check "dump writes a file" test -s "$tmp/out.safetensors"
# --backend: webgpu without its library runs on the CPU and says why in one line; a name that
# is no backend is an error naming the ones there are.
out=$(ATTNSCOPE_WEBGPU_LIBRARY=/nonexistent/libwebgpu.so "$cli" dump --model "$fixtures/gpt2" \
  --ids 1,2,3 --backend webgpu --out "$tmp/fallback.safetensors" 2>&1 >/dev/null); code=$?
check "--backend webgpu without a library still runs" test $code -eq 0 -a -s "$tmp/fallback.safetensors"
check "--backend webgpu without a library says why, once" \
  test "$(grep -c 'webgpu unavailable (no WebGPU library at /nonexistent/libwebgpu.so); running on the CPU' <<<"$out")" = 1
out=$("$cli" dump --model "$fixtures/gpt2" --ids 1,2,3 --backend tpu --out "$tmp/x.safetensors" 2>&1); code=$?
check "--backend tpu is an error" test $code -ne 0
check "--backend tpu names the backends" grep -q "no backend 'tpu'.*webgpu" <<<"$out"
# With Dawn and an adapter (setup.sh installs Dawn; run_all.sh points Vulkan at SwiftShader) the
# same dump runs on WebGPU, with no fallback line.
if [ -n "${VK_ICD_FILENAMES:-}" ] && [ "${ATTNSCOPE_WEBGPU:-}" = required ]; then
  out=$("$cli" dump --model "$fixtures/gpt2" --ids 1,2,3 --backend webgpu \
    --out "$tmp/webgpu.safetensors" 2>&1 >/dev/null); code=$?
  check "--backend webgpu runs on the adapter" test $code -eq 0 -a -s "$tmp/webgpu.safetensors"
  check "--backend webgpu with an adapter does not fall back" test -z "$(grep unavailable <<<"$out")"
fi
listing=$("$cli" info --tensors "$tmp/out.safetensors")
check "dump: logits [5, 512]" grep -q '^logits F32 \[5, 512\]$' <<<"$listing"
check "dump: a pattern per layer" test "$(grep -c 'attn.hook_pattern F32 \[4, 5, 5\]' <<<"$listing")" = 3
check "dump: input ids in the metadata" grep -q '^# input_ids: 1,2,3,4,5$' <<<"$listing"
"$cli" dump --model "$fixtures/qwen2" --text "Hello world" --hooks 'blocks.0.attn.hook_z' \
  --out "$tmp/z.safetensors" 2>/dev/null; code=$?
check "dump --text without a tokenizer fails" test $code -ne 0
"$cli" dump --model "$fixtures/gpt2" --text "Hello world" --hooks 'blocks.*.attn.hook_z,logits' \
  --out "$tmp/z.safetensors" 2>/dev/null
check "dump --text with globs" test "$(grep -c 'hook_z' <<<"$("$cli" info --tensors "$tmp/z.safetensors")")" = 3

one_error() { # one_error NAME EXPECTED_TEXT COMMAND... : fails, one line on stderr, names the problem
  local name=$1 expected=$2; shift 2
  local err code
  err=$("$@" 2>&1 >/dev/null); code=$?
  check "$name: non-zero exit" test $code -ne 0
  check "$name: one error line" test "$(wc -l <<<"$err")" = 1
  check "$name: says '$expected'" grep -q -- "$expected" <<<"$err"
}
cp -r "$fixtures/gpt2" "$tmp/bert"; sed -i 's/"model_type": "gpt2"/"model_type": "bert"/' "$tmp/bert/config.json"
one_error "unknown architecture" "unsupported architecture 'bert'" "$cli" dump --model "$tmp/bert" --ids 1 --out "$tmp/x"
cp -r "$fixtures/gpt2" "$tmp/cut"; head -c 300000 "$fixtures/gpt2/model.safetensors" > "$tmp/cut/model.safetensors"
one_error "truncated safetensors" "model.safetensors" "$cli" dump --model "$tmp/cut" --ids 1 --out "$tmp/x"
cp -r "$fixtures/gpt2" "$tmp/shape"; sed -i 's/"n_positions": 256/"n_positions": 300/' "$tmp/shape/config.json"
one_error "shape mismatch" "shape" "$cli" dump --model "$tmp/shape" --ids 1 --out "$tmp/x"
one_error "id out of vocabulary" "outside the vocabulary" "$cli" dump --model "$fixtures/gpt2" --ids 1,600 --out "$tmp/x"
one_error "not an id" "'x' is not a token id" "$cli" dump --model "$fixtures/gpt2" --ids 1,x --out "$tmp/x"
long=$(seq -s, 1 300)
one_error "longer than the context" "context of 256" "$cli" dump --model "$fixtures/gpt2" --ids "$long" --out "$tmp/x"
one_error "no such model" "no such file or folder" "$cli" dump --model "$tmp/nothing" --ids 1 --out "$tmp/x"
one_error "no hook matches" "matched no hook" "$cli" dump --model "$fixtures/gpt2" --ids 1 --hooks 'nope' --out "$tmp/x"

# Analysis subcommands on the bundled models.
models=$(cd "$(dirname "$0")/../../models" && pwd)
kjv=$models/attnscope-kjv
cat_text="The cat sat on the mat. The cat sat on the mat."
out_dir=$(cd "$(dirname "$cli")" && pwd)/test-output
mkdir -p "$out_dir"
for sub in sinks ablate roles heatmap; do
  check "--help lists $sub" grep -q "^  $sub" <<<"$help"
done
json_check() { # json_check JS_EXPRESSION_OF_j < JSON : true when it parses and the expression holds
  node -e 'const j = JSON.parse(require("fs").readFileSync(0, "utf8"));
           if (!(eval(process.argv[1]))) process.exit(1);' "$1"
}
is_png() { test "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a; }

sinks=$("$cli" sinks --model "$kjv" --text "$cat_text" --json)
check "sinks --json: keys and a first-token sink" json_check \
  'j.heads.length === 32 && j.heads[0].head === "L0H0" && j.summary.heads_with_first_token_sink > 0 &&
   j.heads.some(h => h.first_token_sink && h.sinks[0].position === 0 && h.sinks[0].token === "The")' \
  <<<"$sinks"
check "sinks table: summary" grep -q '^heads with a first-token sink: [1-9]' \
  <<<"$("$cli" sinks --model "$kjv" --text "$cat_text" --relative --min-queries 4)"
calibrated=$("$cli" sinks --model "$kjv" --text "$cat_text" --calibrate all --json)
check "sinks --calibrate all: KL and top-k" json_check \
  'j.calibration.heads.length === 32 && j.calibration.kl > 0 && j.calibration.top_before.length === 10' \
  <<<"$calibrated"
check "sinks --calibrate: table" grep -q '^KL(before || after)' \
  <<<"$("$cli" sinks --model "$kjv" --text "$cat_text" --calibrate 1.1,2.2 --beta 0.2)"

check "roles --json: an induction head on repeated random tokens" json_check \
  'j.prompt === "repeated_random_tokens" && j.heads.some(h => h.role === "induction")' \
  <<<"$("$cli" roles --model "$kjv" --json)"
check "roles --repeated --seed: L0H2 is previous-token" grep -q '^L0H2 .*previous-token' \
  <<<"$("$cli" roles --model "$kjv" --repeated 20 --seed 3)"

prefix="The cat sat on the mat. The cat sat on the"
ablated=$("$cli" ablate --model "$kjv" --text "$prefix" --heads 1.1 --answer " m" --distractor " c")
check "ablate --heads: clean metric" grep -Eq '^clean +[0-9.-]+' <<<"$ablated"
check "ablate --heads: ablated metric" grep -Eq '^ablated +[0-9.-]+' <<<"$ablated"
check "ablate --heads: next-token table" grep -q '^KL(before || after)' <<<"$ablated"
check "ablate --json (resample)" json_check \
  'j.mode === "resample" && j.heads[0] === "L1H1" && j.next_token.top_after.length === 3' \
  <<<"$("$cli" ablate --model "$kjv" --text "$prefix" --heads L1H1 --mode resample \
        --corrupted "A dog ran in the big. A dog ran in the" --metric loss --top-k 3 --json)"
"$cli" ablate --model "$kjv" --text "$cat_text" --sweep --png "$out_dir/cli_sweep.png" \
  --csv "$tmp/sweep.csv" --npy "$tmp/sweep.npy" >"$tmp/sweep.txt"
check "ablate --sweep: a PNG" is_png "$out_dir/cli_sweep.png"
check "ablate --sweep: a layer × head table" grep -q '^L3 ' "$tmp/sweep.txt"
check "ablate --sweep: CSV header" grep -q '^layer,H0,H1,H2,H3,H4,H5,H6,H7' "$tmp/sweep.csv"
check "ablate --sweep: NPY" grep -q 'NUMPY' "$tmp/sweep.npy"
ioi=$("$cli" ablate --model "$models/attnscope-tasks" --task-prompts "$models/tasks/ioi_positive.jsonl" \
  --reference "$models/tasks/ioi_negative.jsonl" --mode mean --sweep --limit 40 \
  --png "$out_dir/cli_ioi_sweep.png")
check "ablate --task-prompts: the IOI circuit's heads" \
  grep -q '^heads with relative effect >= 0.05: L0H2 L0H3 L0H5 L2H7 L3H2$' <<<"$ioi"
check "ablate --task-prompts: a PNG" is_png "$out_dir/cli_ioi_sweep.png"

"$cli" heatmap --model "$kjv" --text "$cat_text" --layer 1 --head 2 --out "$out_dir/cli_L1H2.png" \
  --csv "$tmp/h.csv" --json-data "$tmp/h.json" --npy "$tmp/h.npy" 2>/dev/null
check "heatmap: a PNG" is_png "$out_dir/cli_L1H2.png"
check "heatmap: CSV with token labels" grep -q '^query,The,·c,at' "$tmp/h.csv"
check "heatmap: JSON data" json_check 'j.shape[0] === 18 && j.shape[1] === 18' <"$tmp/h.json"
"$cli" heatmap --model "$kjv" --text "$cat_text" --grid --out "$out_dir/cli_grid.png" 2>/dev/null
check "heatmap --grid: a PNG" is_png "$out_dir/cli_grid.png"
"$cli" heatmap --model "$kjv" --text "$cat_text" --layer 2 --aggregate mean --out "$tmp/mean.png" 2>/dev/null
check "heatmap --aggregate mean: a PNG" is_png "$tmp/mean.png"
"$cli" heatmap --model "$kjv" --text "$cat_text" --layer 1 --head 2 --out "$out_dir/cli_L1H2.svg" 2>/dev/null
check "heatmap --out .svg: well-formed XML with 18 × 18 labels as text" python3 -c '
import sys, xml.etree.ElementTree as E
root = E.parse(sys.argv[1]).getroot()
texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
sys.exit(0 if root.tag.endswith("svg") and texts.count("The") >= 2 and "key" in texts else 1)' \
  "$out_dir/cli_L1H2.svg"
"$cli" heatmap --model "$kjv" --text "$cat_text" --grid --out "$tmp/grid.SVG" 2>/dev/null
check "heatmap --grid --out .SVG: an SVG" grep -q '</svg>' "$tmp/grid.SVG"
"$cli" heatmap --model "$kjv" --text "$cat_text" --layer 1 --head 2 --lines --out "$out_dir/cli_L1H2_lines.svg" 2>/dev/null
check "heatmap --lines --out .svg: XML with a line per weight over 0.02, tokens as text" python3 -c '
import xml.etree.ElementTree as ET, sys
root = ET.parse(sys.argv[1]).getroot()
ns = "{http://www.w3.org/2000/svg}"
lines, texts = root.iter(ns + "line"), [t.text for t in root.iter(ns + "text")]
n = sum(1 for _ in lines)
assert 18 <= n <= 18 * 19 // 2, n
assert texts.count("·sat") == 4, texts  # two of them, each in both columns
' "$out_dir/cli_L1H2_lines.svg"
png_size() { python3 -c 'import struct,sys; d=open(sys.argv[1],"rb").read(24); print(*struct.unpack(">II", d[16:24]))' "$1"; }
"$cli" heatmap --model "$kjv" --text "$cat_text" --layer 1 --head 2 --scale 2 --out "$out_dir/cli_L1H2_2x.png" 2>/dev/null
read -r w1 h1 <<<"$(png_size "$out_dir/cli_L1H2.png")"
check "heatmap --scale 2: a PNG twice as wide and high" test "$(png_size "$out_dir/cli_L1H2_2x.png")" = "$((2 * w1)) $((2 * h1))"
"$cli" heatmap --model "$kjv" --text "$cat_text" --grid --scale 4 --out "$tmp/grid4.png" 2>/dev/null
read -r gw gh <<<"$(png_size "$out_dir/cli_grid.png")"
check "heatmap --grid --scale 4: four times the size" test "$(png_size "$tmp/grid4.png")" = "$((4 * gw)) $((4 * gh))"
"$cli" heatmap --model "$kjv" --text "$cat_text" --layer 1 --head 2 --colormap greys --out "$out_dir/cli_L1H2_greys.png" 2>/dev/null
check "heatmap --colormap greys: a PNG, other pixels than viridis" sh -c 'test -s "$1" && ! cmp -s "$1" "$2"' _ "$out_dir/cli_L1H2_greys.png" "$out_dir/cli_L1H2.png"

"$cli" dump --model "$kjv" --text "$cat_text" --hooks logits --ablate 1.1,1.2 --ablate-mode zero \
  --out "$tmp/ablated.safetensors" 2>/dev/null
check "dump --ablate: ablation in the metadata" \
  grep -q '^# ablation: zero 1.1,1.2$' <<<"$("$cli" info --tensors "$tmp/ablated.safetensors")"
"$cli" dump --model "$kjv" --text "$cat_text" --hooks logits --out "$tmp/clean.safetensors" 2>/dev/null
tensor_bytes() { node -e 'const b = require("fs").readFileSync(process.argv[1]);
  process.stdout.write(b.subarray(8 + Number(b.readBigUInt64LE(0))).toString("hex"));' "$1"; }
check "dump --ablate: other logits than the clean run" \
  test "$(tensor_bytes "$tmp/ablated.safetensors")" != "$(tensor_bytes "$tmp/clean.safetensors")"

one_error "unknown head" "head 9.9 is outside the model" \
  "$cli" ablate --model "$kjv" --text "$cat_text" --heads 9.9
one_error "bogus ablation mode" "'bogus' is not an ablation mode" \
  "$cli" ablate --model "$kjv" --text "$cat_text" --heads 1.1 --mode bogus
one_error "resample of another length" "--corrupted is 4 tokens but the prompt is 18" \
  "$cli" ablate --model "$kjv" --text "$cat_text" --heads 1.1 --mode resample --corrupted "A dog ran"
one_error "answer of two tokens" "--answer ' mat' is 2 tokens" \
  "$cli" ablate --model "$kjv" --text "$prefix" --heads 1.1 --answer " mat" --distractor " c"
one_error "heatmap layer out of range" "--layer 7 is out of range" \
  "$cli" heatmap --model "$kjv" --text "$cat_text" --layer 7 --head 0 --out "$tmp/x.png"
one_error "heatmap into another format" "a figure is written as .png or .svg" \
  "$cli" heatmap --model "$kjv" --text "$cat_text" --layer 0 --head 2 --out "$tmp/x.jpg"
one_error "heatmap into a missing folder" "cannot write" \
  "$cli" heatmap --model "$kjv" --text "$cat_text" --layer 0 --head 2 --out "$tmp/no/such/x.png"
one_error "heatmap --scale 3" "--scale 3 is not 1, 2 or 4" \
  "$cli" heatmap --model "$kjv" --text "$cat_text" --layer 0 --head 2 --scale 3 --out "$tmp/x.png"
one_error "heatmap --scale with an SVG" "--scale applies to PNG figures" \
  "$cli" heatmap --model "$kjv" --text "$cat_text" --layer 0 --head 2 --scale 2 --out "$tmp/x.svg"
one_error "heatmap --lines --grid" "--lines draws one head" \
  "$cli" heatmap --model "$kjv" --text "$cat_text" --grid --lines --out "$tmp/x.png"
one_error "heatmap --colormap jet" "--colormap 'jet' is not a colour map" \
  "$cli" heatmap --model "$kjv" --text "$cat_text" --layer 0 --head 2 --colormap jet --out "$tmp/x.png"
one_error "ablate --colormap jet" "--colormap 'jet' is not a colour map" \
  "$cli" ablate --model "$kjv" --text "$cat_text" --sweep --png "$tmp/x.png" --colormap jet
one_error "dump --ablate unknown head" "head 4.0 is outside the model" \
  "$cli" dump --model "$kjv" --text "$cat_text" --ablate 4.0 --out "$tmp/x"

# circuit: the SAE circuit method on the IOI task of attnscope-tasks, against its ground truth.
check "--help lists circuit" grep -q '^  circuit' <<<"$help"
tasks=$models/attnscope-tasks
circ=("$cli" circuit --model "$tasks" --positive "$models/tasks/ioi_positive.jsonl"
      --negative "$models/tasks/ioi_negative.jsonl")
check "circuit --ground-truth --json: auc, circuit, scores (published protocol)" json_check \
  'j.task === "ioi" && j.auc >= 0 && j.auc <= 1 && Array.isArray(j.circuit) &&
   j.scores.length === 4 && j.scores[0].length === 8 && j.comparison.length === 3 &&
   j.comparison[1].method === "sae_edges" && j.options.protocol === "published" &&
   j.options.l1 === 0.02 && j.prompts.train.length === 10 && j.prompts.positive.length === 200 &&
   j.rows === 400 && j.timings.training > 0 && j.losses.length === 200' \
  <<<"$("${circ[@]}" --ground-truth "$models/tasks/ground_truth.json" --task ioi --epochs 200 --baseline-prompts 40 --json)"
check "circuit table: scores, edges and timings" grep -q '^timings: activations' \
  <<<"$("${circ[@]}" --epochs 20 --hidden 50 --top-k 3)"
# discover: edge attribution patching and ACDC on the same task (core/circuits).
check "--help lists discover" grep -q '^  discover' <<<"$help"
disc=("$cli" discover --model "$tasks" --positive "$models/tasks/ioi_positive.jsonl"
      --negative "$models/tasks/ioi_negative.jsonl")
check "discover --method eap --json: head scores, edges, AUC" json_check \
  'j.method === "eap" && j.task === "ioi" && j.auc >= 0 && j.auc <= 1 && j.head_scores.length === 4 &&
   j.head_scores[0].length === 8 && j.edges.length === 10 && j.prompts === 40' \
  <<<"$("${disc[@]}" --prompts 40 --ground-truth "$models/tasks/ground_truth.json" --json)"
check "discover --method acdc --json: one run per threshold" json_check \
  'j.method === "acdc" && j.runs.length === 2 && j.runs[0].kept_edges >= j.runs[1].kept_edges' \
  <<<"$("${disc[@]}" --method acdc --prompts 4 --threshold 0.001 --threshold 1 --json)"
check "discover --corruption paired --seed --rank abs: drawn prompts, their own twins" json_check \
  'j.rank === "abs" && j.seed === 3 && j.prompts === 20 && j.references === 20 &&
   j.corruption === "paired" && j.head_scores.flat().every((v) => v >= 0)' \
  <<<"$("${disc[@]}" --corruption paired --seed 3 --prompts 20 --rank abs --json)"
check "discover --method acdc --ground-truth: the authors' per-threshold AUC beside ours" json_check \
  'j.auc >= 0 && j.auc <= 1 && j.auc_per_threshold >= 0 && j.auc_per_threshold <= 1' \
  <<<"$("${disc[@]}" --method acdc --metric logit-diff --corruption paired --prompts 3 --threshold 0.01 \
        --threshold 0.3 --ground-truth "$models/tasks/ground_truth.json" --json)"
head -5 "$models/tasks/ioi_negative.jsonl" > "$tmp/five_negatives.jsonl"
one_error "discover --corruption paired, unpaired files" "one negative per positive" "$cli" discover \
  --model "$tasks" --positive "$models/tasks/ioi_positive.jsonl" --negative "$tmp/five_negatives.jsonl" \
  --corruption paired
# ground-truth: mean ablation and the 80% rule, on the first 12 prompts of one task.
mkdir -p "$tmp/gt"
head -12 "$models/tasks/ioi_positive.jsonl" > "$tmp/gt/ioi_positive.jsonl"
head -12 "$models/tasks/ioi_negative.jsonl" > "$tmp/gt/ioi_negative.jsonl"
check "ground-truth --json: both ablations, every prefix's faithfulness, the rule's circuit" json_check \
  'const t = j.ioi; t.heads.length > 0 && t.effects.length === 4 && t.faithfulness.length === 33 &&
   t.faithfulness[32] === 1 && t.faithfulness[t.heads.length] >= 0.8 && t.positional.order.length === 32 &&
   t.keep === 0.8 && t.prompts === 12' \
  <<<"$("$cli" ground-truth --model "$tasks" --tasks "$tmp/gt" --task ioi --json)"
check "ground-truth table: the circuit under each ablation" grep -q 'ioi, positional mean ablation' \
  <<<"$("$cli" ground-truth --model "$tasks" --tasks "$tmp/gt" --task ioi)"
one_error "ground-truth --keep" "--keep must be in (0, 1]" "$cli" ground-truth --model "$tasks" --keep 2
one_error "ground-truth, no such task" "no_such_positive.jsonl" "$cli" ground-truth --model "$tasks" \
  --tasks "$tmp/gt" --task no_such
one_error "discover --method" "--method 'ablation' is not one attnscope knows" "${disc[@]}" --method ablation
one_error "discover on a rotary model" "rotary positions" "$cli" discover --model "$models/fixtures/llama" \
  --positive "$models/tasks/ioi_positive.jsonl" --negative "$models/tasks/ioi_negative.jsonl"
check "circuit --protocol attnscope-v1: trained and scored on 10 prompts" json_check \
  'j.options.protocol === "attnscope-v1" && j.rows === 10 && j.prompts.positive.length === 5' \
  <<<"$("${circ[@]}" --protocol attnscope-v1 --epochs 20 --json)"
check "circuit: docstring's λ is the authors' 0.05" json_check 'j.options.l1 === 0.05' \
  <<<"$("$cli" circuit --model "$tasks" --positive "$models/tasks/docstring_positive.jsonl" \
        --negative "$models/tasks/docstring_negative.jsonl" --epochs 5 --json)"
one_error "circuit --protocol unknown" "--protocol 'x' is not one attnscope knows" \
  "${circ[@]}" --protocol x
one_error "circuit --epochs 0" "--epochs 0 must be at least 1" "${circ[@]}" --epochs 0
one_error "circuit: unknown task" "ground truth has no heads for task 'nope'" \
  "${circ[@]}" --ground-truth "$models/tasks/ground_truth.json" --task nope --epochs 1
printf '{"id": 0, "text": "x"\n' >"$tmp/bad.jsonl"
one_error "circuit: bad JSONL" "bad.jsonl: line 1" \
  "$cli" circuit --model "$tasks" --positive "$tmp/bad.jsonl" --negative "$models/tasks/ioi_negative.jsonl"
one_error "circuit: missing file" "cannot read" \
  "$cli" circuit --model "$tasks" --positive "$tmp/none.jsonl" --negative "$models/tasks/ioi_negative.jsonl"

# patch: activation patching of each head's z on an IOI prompt of attnscope-tasks and its
# corrupted twin (the second name swapped): the ground truth's IOI heads (L0H2 L0H3 L0H5) carry
# most of what is recovered.
ioi_clean="<|endoftext|>Then, Jack and Mary had a long argument at the market. Afterwards Mary said to"
ioi_corrupt="<|endoftext|>Then, Jack and Mary had a long argument at the market. Afterwards Jane said to"
# report: the same IOI pair as one self-contained HTML file; its JSON holds patch's numbers.
"$cli" report --model "$models/attnscope-tasks" --text "$ioi_clean" --corrupted "$ioi_corrupt" \
  --answer " Jack" --distractor " Mary" --out "$tmp/report.html" 2>/dev/null
check "report: HTML with four inline SVG figures, parsed by Python" python3 -c '
import html.parser, json, re, sys
s = open(sys.argv[1], encoding="utf-8").read()
class P(html.parser.HTMLParser):
    svgs, scripts = 0, []
    def handle_starttag(self, tag, attrs):
        if tag == "svg": P.svgs += 1
        assert not any(k in ("src", "href") and not v.startswith("data:") for k, v in attrs), attrs
    def handle_data(self, data):
        if self.lasttag == "script": P.scripts.append(data)
P().feed(s)
data = json.loads(P.scripts[0])
assert P.svgs == 4 and s.startswith("<!DOCTYPE html>") and "default-src" in s
assert data["patching"]["runs"]["head_z"]["normalised"]["shape"] == [4, 8]
' "$tmp/report.html"
check "report: the patching map equals patch --json" node -e '
const fs = require("fs"), html = fs.readFileSync(process.argv[1], "utf8");
const json = html.match(/<script type="application\/json" id="attnscope-data">([^<]*)<\/script>/)[1];
const mine = JSON.parse(json).patching.runs.head_z.normalised.values;
const theirs = JSON.parse(fs.readFileSync(0, "utf8")).recovered.flat();
if (mine.length !== theirs.length || mine.some((v, i) => Math.abs(v - theirs[i]) > 1e-5)) process.exit(1);
' "$tmp/report.html" < <("$cli" patch --model "$models/attnscope-tasks" --text "$ioi_clean" \
  --corrupted "$ioi_corrupt" --answer " Jack" --distractor " Mary" --target head_z --json)
"$cli" report --model "$kjv" --text "$cat_text" --out "$tmp/plain.html" 2>/dev/null
check "report without patching: three sections" test "$(grep -c '<h2>' "$tmp/plain.html")" = 3
one_error "report into .txt" "a report is written as .html" \
  "$cli" report --model "$kjv" --text "$cat_text" --out "$tmp/r.txt"
one_error "report --corrupted without --answer" "needs the clean run's next token" \
  "$cli" report --model "$kjv" --text "$cat_text" --corrupted "$cat_text" --out "$tmp/r.html"
one_error "report --distractor without --corrupted" "--distractor goes with --corrupted" \
  "$cli" report --model "$kjv" --text "$cat_text" --distractor " the" --out "$tmp/r.html"

patch=$("$cli" patch --model "$models/attnscope-tasks" --text "$ioi_clean" --corrupted "$ioi_corrupt" \
  --answer " Jack" --distractor " Mary" --target head_z --json)
check "patch --target head_z: the ground truth's IOI heads recover most" json_check '
  const r = j.recovered, gt = ["L0H2", "L0H3", "L0H5"];
  let inside = 0, outside = 0, best = ["", -1e9];
  r.forEach((row, l) => row.forEach((v, h) => {
    const name = "L" + l + "H" + h;
    if (gt.includes(name)) inside += v; else outside += Math.abs(v);
    if (v > best[1]) best = [name, v];
  }));
  j.clean > j.corrupted && inside > outside && gt.includes(best[0])' <<<"$patch"
patch=$("$cli" patch --model "$fixtures/gpt2" --ids 3,17,5,29 --corrupted-ids 3,17,23,29 \
  --answer-id 2 --distractor-id 13 --target resid_pre --json 2>/dev/null || true)
check "patch --target resid_pre: layer 0 recovers exactly at the swapped position" json_check '
  const r0 = j.recovered[0];
  Math.abs(r0[2] - 1) < 1e-3 && Math.abs(r0[0]) < 1e-6 && Math.abs(r0[3]) < 1e-6' <<<"$patch"
one_error "patch: prompts of different lengths" "same number of tokens" \
  "$cli" patch --model "$fixtures/gpt2" --ids 3,17,5 --corrupted-ids 3,17 --answer-id 2 --distractor-id 13
one_error "patch: no corrupted prompt" "give the corrupted prompt" \
  "$cli" patch --model "$fixtures/gpt2" --ids 3,17,5 --answer-id 2
one_error "patch: an unknown target" "is not a patch target" \
  "$cli" patch --model "$fixtures/gpt2" --ids 3,17 --corrupted-ids 3,5 --answer-id 2 --distractor-id 13 --target mlp
one_error "patch: the same prompt twice" "score the same" \
  "$cli" patch --model "$fixtures/gpt2" --ids 3,17 --corrupted-ids 3,17 --answer-id 2 --distractor-id 13

# lens: the logit lens (core/analysis/logit_lens.h) on the KJV model: a row per block's
# resid_pre plus the final stream, the target's rank and probability per row × position, each
# head's direct logit attribution; the final row's most likely token ranks 1 when followed.
check "--help lists lens" grep -q '^  lens' <<<"$help"
check "--help lists massive" grep -q '^  massive' <<<"$help"
lens=$("$cli" lens --model "$kjv" --text "$cat_text" --target " sat" --top 3 --json)
check "lens --json: rows, top-k, rank, probability and a layer × head attribution" json_check '
  const T = j.tokens.length, R = j.rows.length;
  R === 5 && j.rows[4] === "final" && j.hooks[0] === "blocks.0.hook_resid_pre" &&
  j.hooks[4] === "blocks.3.hook_resid_post" && j.top.length === R && j.top[0].length === T &&
  j.top[R - 1][T - 1].length === 3 && j.target.token === "·sat" && j.position === T - 1 &&
  j.target_rank.length === R && j.target_rank.every(r => r.length === T && r.every(x => x >= 1)) &&
  j.target_prob.every(r => r.every(p => p > 0 && p <= 1)) &&
  j.dla.length === 4 && j.dla.every(r => r.length === 8)' <<<"$lens"
top_id=$(node -e 'const j = JSON.parse(require("fs").readFileSync(0, "utf8"));
  console.log(j.top[j.rows.length - 1][j.tokens.length - 1][0].id)' <<<"$lens")
check "lens --target-id: the final row's top token ranks 1, with its top-k probability" json_check '
  const R = j.rows.length, T = j.tokens.length, top = j.top[R - 1][T - 1][0];
  j.target.id === top.id && j.target_rank[R - 1][T - 1] === 1 &&
  Math.abs(j.target_prob[R - 1][T - 1] - top.prob) < 1e-6' \
  <<<"$("$cli" lens --model "$kjv" --text "$cat_text" --target-id "$top_id" --position 3 --json)"
check "lens on a model without a tokenizer (--ids), in a table" \
  grep -q '^direct logit attribution of each head to <id 17> at position 1' \
  <<<"$("$cli" lens --model "$fixtures/qwen2" --ids 3,14,15 --target-id 17 --position 1)"
one_error "lens: a target of two tokens" "--target ' mat' is 2 tokens" \
  "$cli" lens --model "$kjv" --text "$cat_text" --target " mat"
one_error "lens: a target id outside the vocabulary" "outside the vocabulary" \
  "$cli" lens --model "$fixtures/gpt2" --ids 3,14,15 --target-id 600
one_error "lens: a position past the prompt" "position 3 is outside the prompt (0..2)" \
  "$cli" lens --model "$fixtures/gpt2" --ids 3,14,15 --target-id 2 --position 3
one_error "lens: --top 0" "keep at least 1 token" "$cli" lens --model "$fixtures/gpt2" --ids 3,14 --top 0
one_error "lens: --target and --target-id" "not both" \
  "$cli" lens --model "$kjv" --text "$cat_text" --target " sat" --target-id 3
one_error "lens: no prompt" "no prompt" "$cli" lens --model "$fixtures/gpt2"

# massive: massive activations (Sun et al. 2024) per residual stream of the KJV model.
check "massive --json: top-k with position and channel, median, ratio, flags per layer" json_check '
  j.layers.length === 5 && j.layers[4].hook === "blocks.3.hook_resid_post" &&
  j.layers.every(l => l.top.length === 2 && l.median_abs > 0 &&
    Math.abs(l.ratio - Math.abs(l.top[0].value) / l.median_abs) <= 1e-6 * l.ratio &&
    Math.abs(l.top[0].value) >= Math.abs(l.top[1].value) &&
    l.top[0].token === j.tokens[l.top[0].position] && l.over_100 === (l.ratio > 100) &&
    l.massive === (Math.abs(l.top[0].value) > 100 && l.ratio > 1000))' \
  <<<"$("$cli" massive --model "$kjv" --text "$cat_text" --top 2 --json)"
check "massive, in a table: a row per residual stream" \
  test "$("$cli" massive --model "$fixtures/llama" --ids 3,14,15 | grep -c 'hook_resid_p')" = 4
one_error "massive: --top 0" "keep at least 1 activation" \
  "$cli" massive --model "$fixtures/gpt2" --ids 3,14 --top 0
one_error "massive: an id outside the vocabulary" "outside the vocabulary" \
  "$cli" massive --model "$fixtures/gpt2" --ids 3,600

# generate: continues a prompt (core/analysis/generation.h). Greedy with the key/value cache is
# the same text as without it (a full forward pass per token); seeded sampling repeats itself,
# with and without the cache; bad options are one error line each.
check "--help lists generate" grep -q '^  generate' <<<"$help"
gen=$("$cli" generate --model "$kjv" --prompt "$cat_text" --tokens 8 --json)
check "generate --json: ids, token strings, each step's probability" json_check '
  j.ids.length === 8 && j.tokens.length === 8 && j.probabilities.length === 8 &&
  j.probabilities.every(p => p > 0 && p <= 1) && j.stop === "token count" && j.cache === true &&
  j.sampling.greedy === true && j.prompt_ids.length === j.prompt_tokens.length &&
  j.prompt_tokens[0] === "The" && typeof j.text === "string" && j.text.length > 0' <<<"$gen"
gen_text=$("$cli" generate --model "$kjv" --prompt "$cat_text" --tokens 8)
check "generate prints the continuation (the JSON's text)" json_check \
  "j.text === $(node -e 'console.log(JSON.stringify(process.argv[1]))' "$gen_text")" <<<"$gen"
check "generate --no-cache: the same greedy continuation" \
  test "$("$cli" generate --model "$kjv" --prompt "$cat_text" --tokens 8 --no-cache)" = "$gen_text"
# (A prompt the model is unsure how to continue: it repeats the cat sentence, most tokens at p > 0.98.)
sample=(--prompt "And he said" --tokens 12 --temperature 1.2 --top-k 20 --top-p 0.9)
sampled=$("$cli" generate --model "$kjv" "${sample[@]}" --seed 3)
check "generate with a seed: the same sample twice" \
  test -n "$sampled" -a "$("$cli" generate --model "$kjv" "${sample[@]}" --seed 3)" = "$sampled"
check "generate with a seed: the same sample without the cache" \
  test "$("$cli" generate --model "$kjv" "${sample[@]}" --seed 3 --no-cache)" = "$sampled"
greedy=$("$cli" generate --model "$kjv" --prompt "And he said" --tokens 12)
check "generate with a seed: not the greedy continuation" test -n "$greedy" -a "$greedy" != "$sampled"
other=$("$cli" generate --model "$kjv" "${sample[@]}" --seed 4)
check "generate with another seed: another sample" test -n "$other" -a "$other" != "$sampled"
check "generate on every family's fixture: cache and no cache agree" bash -c '
  for f in gpt2 gpt_neox gpt_neox_sequential llama qwen2 gpt2_bf16 llama_f16; do
    a=$("$0" generate --model "$1/$f" --ids 3,14,15,92 --tokens 6 --json) || exit 1
    b=$("$0" generate --model "$1/$f" --ids 3,14,15,92 --tokens 6 --json --no-cache) || exit 1
    node -e "const [a, b] = process.argv.slice(1).map(JSON.parse);
      process.exit(a.ids.length === 6 && a.ids.join() === b.ids.join() && a.cache && !b.cache ? 0 : 1)" \
      "$a" "$b" || exit 1
  done' "$cli" "$fixtures"
check "generate on a model without a tokenizer prints token ids" \
  grep -q '^<id [0-9]*>' <<<"$("$cli" generate --model "$fixtures/qwen2" --ids 3,14,15 --tokens 3)"
one_error "generate: negative --tokens" "cannot generate -3 tokens" \
  "$cli" generate --model "$fixtures/gpt2" --ids 3,14 --tokens -3
one_error "generate: --top-p 0" "top-p 0.000000 is outside (0, 1]" \
  "$cli" generate --model "$fixtures/gpt2" --ids 3,14 --temperature 1 --top-p 0
one_error "generate: --top-p 1.5" "top-p 1.500000 is outside (0, 1]" \
  "$cli" generate --model "$fixtures/gpt2" --ids 3,14 --temperature 1 --top-p 1.5
one_error "generate: a negative temperature" "temperature -1.000000 is not allowed" \
  "$cli" generate --model "$fixtures/gpt2" --ids 3,14 --temperature -1
one_error "generate: past the context" "exceed the model's context of 256 positions" \
  "$cli" generate --model "$fixtures/gpt2" --ids 3,14 --tokens 255
one_error "generate: no prompt" "no prompt" "$cli" generate --model "$fixtures/gpt2"
if [ -n "${VK_ICD_FILENAMES:-}" ] && [ "${ATTNSCOPE_WEBGPU:-}" = required ]; then
  check "generate --backend webgpu: the CPU's greedy continuation" \
    test "$("$cli" generate --model "$kjv" --prompt "$cat_text" --tokens 8 --backend webgpu 2>/dev/null)" = "$gen_text"
fi

# bench: a fixture model and a small capture, just that it runs and prints valid JSON (no timing
# is asserted: the machine may be busy).
check "--help lists bench" grep -q '^  bench' <<<"$help"
check "bench --json: timings, throughput and memory" json_check \
  'j.tokens === 20 && j.capture === "patterns" && j.repeat === 2 && j.median_ms > 0 &&
   j.best_ms > 0 && j.best_ms <= j.median_ms && j.tokens_per_s > 0 && j.gflop_per_s > 0 &&
   j.peak_rss_mb > 0 && j.captured_mb > 0 && j.backend === "cpu-simd"' \
  <<<"$("$cli" bench --model "$fixtures/gpt2" --tokens 20 --repeat 2 --threads 2 --json)"
check "bench --capture none --backend cpu-reference" json_check \
  'j.capture === "none" && j.captured_mb === 0 && j.backend === "cpu-reference"' \
  <<<"$("$cli" bench --model "$fixtures/llama" --tokens 9 --repeat 1 --capture none --backend cpu-reference --json)"
# --profile on the CPU: one row per op of one more pass, the products by shape, and a total.
profile=$("$cli" bench --model "$fixtures/gpt2" --tokens 12 --repeat 1 --threads 1 --profile 2>&1 >/dev/null)
check "bench --profile (cpu): a row per product shape" grep -Eq '^linear [0-9]+x[0-9]+ +[0-9.]+ ms' <<<"$profile"
check "bench --profile (cpu): the fused attention, writing the captured pattern" \
  grep -q '^attention+pattern ' <<<"$profile"
check "bench --profile (cpu): the rows add up to the total" python3 -c '
import re, sys
rows = [l for l in sys.stdin.read().splitlines() if re.search(r" ms", l)]
total = float(rows[-1].split()[1]); parts = sum(float(re.search(r"([0-9.]+) ms", r).group(1)) for r in rows[:-1])
sys.exit(0 if rows[-1].startswith("total") and abs(parts - total) < 0.05 + 1e-3 * total else 1)' <<<"$profile"
check "bench --gemm --json: peak and the block's share of it" json_check \
  'j.fma_peak_gflop_per_s_1_thread > 0 && j.block_share_of_peak > 0 && j.shapes.length === 4' \
  <<<"$("$cli" bench --gemm --tokens 16 --repeat 1 --threads 1 --json)"
check "bench --gemm --cold --json: the weights from memory" json_check \
  'j.cold_weights === true && j.block_gflop_per_s_1_thread > 0' \
  <<<"$("$cli" bench --gemm --cold --tokens 8 --repeat 1 --threads 1 --json)"
check "bench --decode --json: per-step times of cached generation" json_check \
  'j.prompt_tokens === 10 && j.decode_steps === 4 && j.repeat === 2 && j.median_ms_per_step > 0 &&
   j.best_ms_per_step <= j.median_ms_per_step && j.tokens_per_s > 0 && j.capture === "none"' \
  <<<"$("$cli" bench --model "$fixtures/llama" --tokens 10 --decode 4 --repeat 2 --capture none --json)"
decode_profile=$("$cli" bench --model "$fixtures/gpt2" --tokens 6 --decode 2 --repeat 1 --profile 2>&1 >/dev/null)
check "bench --decode --profile: a one-token step's products" grep -Eq '^linear [0-9]+x[0-9]+ +[0-9.]+ ms' <<<"$decode_profile"
one_error "bench: --decode past the context" "--tokens + --decode must fit the model's context of 256 positions, not 300" \
  "$cli" bench --model "$fixtures/gpt2" --tokens 200 --decode 100
one_error "bench: --decode with --gemm" "--decode and --gemm: choose one" "$cli" bench --gemm --decode 3
one_error "bench: --cold without --gemm" "--cold goes with --gemm" "$cli" bench --shape gpt2-small --cold
one_error "bench: unknown shape" "unknown model shape 'gpt5'" "$cli" bench --shape gpt5
one_error "bench: bad --capture" "--capture: 'some' is not none, patterns or all" \
  "$cli" bench --model "$fixtures/gpt2" --capture some

# Untrusted text from files reaches the terminal escaped (issue 17): model_type, tensor names.
cp -r "$fixtures/gpt2" "$tmp/esc"
sed -i 's/"model_type": "gpt2"/"model_type": "\\u001b]0;pwned\\u0007gpt2"/' "$tmp/esc/config.json"
err=$("$cli" info --model "$tmp/esc" 2>&1)
check "model_type: no raw ESC on the terminal" test "$(grep -c $'\e' <<<"$err")" = 0
check "model_type: printed as \\x1b" grep -q 'unsupported architecture .\\x1b\]0;pwned\\x07gpt2' <<<"$err"
python3 - "$tmp/esc.safetensors" <<'PY'
import json, struct, sys
header = json.dumps({"\x1b[2Jwiped": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}).encode()
open(sys.argv[1], "wb").write(struct.pack("<Q", len(header)) + header + b"\0" * 4)
PY
out=$("$cli" info --tensors "$tmp/esc.safetensors" 2>&1)
check "tensor names: no raw ESC" test "$(grep -c $'\e' <<<"$out")" = 0
check "tensor names: printed as \\x1b" grep -q '^\\x1b\[2Jwiped F32 \[1\]$' <<<"$out"
# A tokenizer.json nested 60,000 levels deep: the model still loads, the tokenizer is refused.
cp -r "$fixtures/gpt2" "$tmp/deep"
python3 - "$tmp/deep/tokenizer.json" <<'PY'
import sys
p = sys.argv[1]; t = open(p).read()
open(p, "w").write(t.replace('"normalizer": null', '"normalizer": ' + "[" * 60000 + "]" * 60000, 1))
PY
out=$("$cli" info --model "$tmp/deep" 2>&1); code=$?
check "nested tokenizer.json: no crash" test $code -eq 0
check "nested tokenizer.json: says why" grep -q 'tokenizer: none (tokenizer.json is nested deeper than 64 levels' <<<"$out"
exit $fail
