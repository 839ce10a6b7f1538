#!/usr/bin/env bash
# device_forward.sh — the forward-pass table of issue 12 in one run on the GPU machine's CPUs (tool
# library: device): `attnscope bench` next to the PyTorch peer (forward_torch_peer.py, eager
# attention, every pattern kept), GPT-2 small and SmolLM-135M shapes (random init), T = 128 and
# 1024, 1 and all threads, patterns captured; attnscope with --capture none at T = 1024 too; and
# the GEMM benchmark against the machine's FMA peak; F16 weights; then the table
# (forward_table.py).
#
# The binary travels in a folder (default build-dev12/) with the Debian libraries it was linked
# against and their loader, so that the machine's own glibc does not matter, and with this script
# and the peer beside it:
#   d=/work/main/build-dev12; mkdir -p $d/lib; cp build/attnscope $d/; strip $d/attnscope
#   cp tests/bench/device_forward.sh tests/bench/forward_torch_peer.py tests/bench/forward_table.py $d/
#   for l in $(ldd build/attnscope | grep -o '/[^ ]*'); do cp -L $l $d/lib/; done
#   run (carry build-dev12): bash build-dev12/device_forward.sh   (writes $OUT/device_forward.txt)
#   a few cells again: TOKENS=128 ROUNDS=2 ONLY_TABLE=1 bash build-dev12/device_forward.sh
set -u
dir=${BIN_DIR:-$(cd "$(dirname "$0")" && pwd)}
out=${OUT:-/tmp}/device_forward.txt
cores=$(nproc)
bin() { "$dir/lib/ld-linux-x86-64.so.2" --library-path "$dir/lib" "$dir/attnscope" "$@"; }
log() { echo "$*" | tee -a "$out"; }
: >"$out"
{ lscpu | grep -E 'Model name|^CPU\(s\)|Thread|Flags' | cut -c1-200; nproc; free -g | head -2; } | tee -a "$out"
# The machine is shared and its first minute runs slow (measured: the same GEMM at 58% of the
# FMA peak first and 84% a minute later), so a throwaway minute of work comes first, and every
# T = 128 cell alternates attnscope and PyTorch for $ROUNDS rounds (forward_table.py takes the
# median of each side's medians).
rounds=${ROUNDS:-3}
log "== warm-up (not recorded)"
for i in 1 2 3; do bin bench --gemm --tokens 128 --threads "$cores" --repeat 10 >/dev/null 2>&1; done
log "== GEMM against the FMA peak"
bin bench --gemm --tokens 128 --threads "$cores" --repeat 10 2>&1 | tee -a "$out"
bin bench --gemm --tokens 128 --threads "$cores" --repeat 10 --json 2>&1 | tee -a "$out"
for shape in ${SHAPES:-gpt2-small smollm-135m}; do
  for tokens in ${TOKENS:-128 1024}; do
    repeat=$([ "$tokens" = 128 ] && echo 11 || echo 3)
    cell_rounds=$([ "$tokens" = 128 ] && echo "$rounds" || echo 1)
    for threads in 1 "$cores"; do
     log "== $shape T=$tokens threads=$threads"
     for round in $(seq "$cell_rounds"); do
      captures=patterns
      [ "$tokens" = 1024 ] && captures="patterns none"
      for capture in $captures; do
        log "\$ attnscope bench --shape $shape --tokens $tokens --threads $threads --capture $capture --repeat $repeat --json"
        bin bench --shape "$shape" --tokens "$tokens" --threads "$threads" --capture "$capture" \
          --repeat "$repeat" --json 2>&1 | tr -d '\n ' | tee -a "$out"
        echo | tee -a "$out"
      done
      log "\$ python3 forward_torch_peer.py --shape $shape --tokens $tokens --threads $threads --repeat $repeat --json"
      python3 "$dir/forward_torch_peer.py" --shape "$shape" --tokens "$tokens" --threads "$threads" \
        --repeat "$repeat" --json 2>&1 | tail -3 | tee -a "$out"
     done
    done
  done
done
# ONLY_TABLE=1 (with SHAPES or TOKENS): just the cells above, for re-measuring a few of them.
if [ -n "${ONLY_TABLE:-}" ]; then
  python3 "$dir/forward_table.py" "$out" | tee -a "$out"
  exit 0
fi
# Freed memory kept for reuse (core/io/memory_reuse.h, on in the cells above) against given back
# (ATTNSCOPE_REUSE_MEMORY=off), and PyTorch with the same glibc settings as tunables: what the
# allocator is worth to each side, at the length where the captures are largest.
tunables=glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=2147483647
for threads in 1 "$cores"; do
  log "== memory kept or given back: gpt2-small, 1024 tokens, $threads threads"
  log "\$ ATTNSCOPE_REUSE_MEMORY=off attnscope bench --shape gpt2-small --tokens 1024 --threads $threads --capture patterns --repeat 3 --json"
  ATTNSCOPE_REUSE_MEMORY=off bin bench --shape gpt2-small --tokens 1024 --threads "$threads" \
    --capture patterns --repeat 3 --json 2>&1 | tr -d '\n ' | tee -a "$out"
  echo | tee -a "$out"
  log "\$ GLIBC_TUNABLES=$tunables python3 forward_torch_peer.py --shape gpt2-small --tokens 1024 --threads $threads --repeat 3 --json"
  GLIBC_TUNABLES=$tunables python3 "$dir/forward_torch_peer.py" --shape gpt2-small --tokens 1024 \
    --threads "$threads" --repeat 3 --json 2>&1 | tail -3 | tee -a "$out"
done
# Weights kept in F16 (widened inside the GEMM): speed and peak memory, attnscope only.
for cell in "gpt2-small 128 1" "gpt2-small 128 $cores" "smollm-135m 1024 $cores"; do
  set -- $cell
  log "== f16 weights: $1 T=$2 threads=$3"
  log "\$ attnscope bench --shape $1 --dtype f16 --tokens $2 --threads $3 --capture patterns --json"
  bin bench --shape "$1" --dtype f16 --tokens "$2" --threads "$3" --capture patterns --repeat 5 \
    --json 2>&1 | tr -d '\n ' | tee -a "$out"
  echo | tee -a "$out"
done
# Peak memory loading an F16 checkpoint from disk (the issue's bound: 1.3 x the weight file's
# bytes, plus captured activations): a random GPT-2 small saved by transformers in F16.
f16=${TMPDIR:-/tmp}/gpt2-small-f16
python3 - "$f16" <<'PY'
import sys, torch, transformers
torch.manual_seed(0)
transformers.GPT2LMHeadModel(transformers.GPT2Config()).half().save_pretrained(sys.argv[1])
PY
log "== f16 checkpoint from disk: $(stat -c %s "$f16/model.safetensors") bytes of model.safetensors"
log "\$ attnscope bench --model gpt2-small-f16 --tokens 128 --threads $cores --capture none --json"
bin bench --model "$f16" --tokens 128 --threads "$cores" --capture none --repeat 3 --json 2>&1 |
  tr -d '\n ' | tee -a "$out"
echo | tee -a "$out"
python3 "$dir/forward_table.py" "$out" | tee -a "$out"
log "== done"
