#!/usr/bin/env bash
# device_gemm_variants.sh — the GEMM's loop and prefetch variants on the GPU machine's CPUs. The
# variants were a temporary ATTNSCOPE_GEMM_VARIANT in core/ops/simd_gemm.cpp at commit e81a43b
# (build that commit to re-run them); the code since keeps variant 10, and a later build ignores
# the variable, so this script then measures the kept code once per name. One thread: `bench --gemm --cold` (weights
# from memory, as in a forward pass) and the T = 128 forward of both shapes, with the PyTorch
# peer on the same cells before and after, after a throwaway warm-up. Carried as for
# device_forward.sh (a folder with the binary, its libraries and loader, and the peer script):
#   run (carry build-dev12): BIN_DIR=build-dev12 bash build-dev12/device_gemm_variants.sh
set -u
dir=${BIN_DIR:-$(cd "$(dirname "$0")" && pwd)}
out=${OUT:-/tmp}/device_gemm_variants.txt
bin() { "$dir/lib/ld-linux-x86-64.so.2" --library-path "$dir/lib" "$dir/attnscope" "$@"; }
log() { echo "$*" | tee -a "$out"; }
: >"$out"
for i in 1 2 3; do bin bench --gemm --tokens 128 --threads 16 --repeat 10 >/dev/null 2>&1; done
peers() {
  for shape in gpt2-small smollm-135m; do
    log "torch $shape T=128 threads=1: $(python3 "$dir/forward_torch_peer.py" --shape $shape --tokens 128 --threads 1 --repeat 7 --json 2>&1 | tail -1)"
  done
}
peers
for v in ${GEMM_VARIANTS:-0 2 8 10 1}; do
  log "variant $v: $(ATTNSCOPE_GEMM_VARIANT=$v bin bench --gemm --cold --tokens 128 --threads 1 --repeat 10 2>&1 | tail -1)"
  for shape in gpt2-small smollm-135m; do
    log "variant $v $shape T=128 threads=1: $(ATTNSCOPE_GEMM_VARIANT=$v bin bench --shape $shape --tokens 128 --threads 1 --repeat 7 2>&1 | grep median)"
  done
done
peers
