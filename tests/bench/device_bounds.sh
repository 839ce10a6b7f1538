#!/usr/bin/env bash
# device_bounds.sh — the measurements behind issue 12's two unmet cells, in one run on the GPU
# machine's CPUs (tool library: device), beside the same PyTorch peer as device_forward.sh:
#   1. the CPU's flags (which matrix units it has beyond AVX-512: AMX or not);
#   2. the FMA peak and the GPT-2 small block products, warm and with weights from memory;
#   3. gpt2-small T = 128 on one thread, attnscope (patterns) and PyTorch (eager, attentions)
#      alternating for $ROUNDS rounds, with `bench --profile` once: what each op costs;
#   4. gpt2-small T = 1024 on one thread and on all cores: attnscope with patterns and with
#      `--capture none` (profiled once each), PyTorch eager with attentions and PyTorch's own pass
#      without patterns (`--attention sdpa --no-attentions`): what not writing a pattern saves
#      on each side.
# It travels like device_forward.sh, in a folder with the binary, its Debian libraries and
# loader, and forward_torch_peer.py:
#   d=/work/main/build-dev12; mkdir -p $d/lib; cp build/attnscope $d/; strip $d/attnscope
#   cp tests/bench/device_bounds.sh tests/bench/forward_torch_peer.py $d/
#   for l in $(ldd build/attnscope | grep -o '/[^ ]*'); do cp -L $l $d/lib/; done
#   run (carry build-dev12): bash build-dev12/device_bounds.sh   (writes $OUT/device_bounds.txt)
set -u
dir=${BIN_DIR:-$(cd "$(dirname "$0")" && pwd)}
out=${OUT:-/tmp}/device_bounds.txt
cores=$(nproc)
rounds=${ROUNDS:-3}
bin() { "$dir/lib/ld-linux-x86-64.so.2" --library-path "$dir/lib" "$dir/attnscope" "$@"; }
log() { echo "$*" | tee -a "$out"; }
peer() { python3 "$dir/forward_torch_peer.py" "$@" --json 2>&1 | tail -1 | tee -a "$out"; }
one_line() { tr -d '\n ' | tee -a "$out"; echo | tee -a "$out"; }
: >"$out"
log "== machine"
{ lscpu | grep -E 'Model name|^CPU\(s\)|MHz|L1d|L2|L3'; nproc; } | tee -a "$out"
log "matrix and vector extensions: $(grep -o -w -E 'amx_[a-z0-9]+|avx512_bf16|avx512_fp16|avx512f' /proc/cpuinfo | sort -u | tr '\n' ' ')"
# The machine's first minute runs slow (device_forward.sh says how much): a throwaway minute.
log "== warm-up (not recorded)"
for i in 1 2 3; do bin bench --gemm --tokens 128 --threads "$cores" --repeat 10 >/dev/null 2>&1; done
log "== GEMM, warm weights"
bin bench --gemm --tokens 128 --threads "$cores" --repeat 10 2>&1 | tee -a "$out"
log "== GEMM, weights from memory"
bin bench --gemm --cold --tokens 128 --threads "$cores" --repeat 10 2>&1 | tee -a "$out"
log "== gpt2-small T=128 threads=1"
for round in $(seq "$rounds"); do
  log "\$ attnscope bench --shape gpt2-small --tokens 128 --threads 1 --capture patterns --repeat 11 --json"
  bin bench --shape gpt2-small --tokens 128 --threads 1 --capture patterns --repeat 11 --json 2>&1 | one_line
  log "\$ python3 forward_torch_peer.py --shape gpt2-small --tokens 128 --threads 1 --repeat 11"
  peer --shape gpt2-small --tokens 128 --threads 1 --repeat 11
done
log "== profile gpt2-small T=128 threads=1"
bin bench --shape gpt2-small --tokens 128 --threads 1 --capture patterns --repeat 5 --profile 2>&1 | tee -a "$out"
for threads in 1 "$cores"; do
  log "== gpt2-small T=1024 threads=$threads"
  for capture in patterns none; do
    log "\$ attnscope bench --shape gpt2-small --tokens 1024 --threads $threads --capture $capture --repeat 3 --profile"
    bin bench --shape gpt2-small --tokens 1024 --threads "$threads" --capture "$capture" --repeat 3 \
      --profile 2>&1 | tee -a "$out"
  done
  log "\$ python3 forward_torch_peer.py --shape gpt2-small --tokens 1024 --threads $threads --repeat 3"
  peer --shape gpt2-small --tokens 1024 --threads "$threads" --repeat 3
  log "\$ python3 forward_torch_peer.py --shape gpt2-small --tokens 1024 --threads $threads --repeat 3 --attention sdpa --no-attentions"
  peer --shape gpt2-small --tokens 1024 --threads "$threads" --repeat 3 --attention sdpa --no-attentions
done
log "== done"
