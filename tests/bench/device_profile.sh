#!/usr/bin/env bash
# device_profile.sh — where the CPU forward pass spends its time on the GPU machine's CPUs (tool
# library: device): `attnscope bench --profile` (each op of one more pass timed) for GPT-2 small
# and SmolLM-135M shapes at 1 and all threads, and `bench --gemm` once per name in $GEMM_VARIANTS
# (set as ATTNSCOPE_GEMM_VARIANT: the temporary switch of commit e81a43b, which later builds
# ignore; see device_gemm_variants.sh). The binary travels as for
# device_forward.sh (a folder with the binary, its Debian libraries and their loader):
#   run (carry build-dev): BIN_DIR=build-dev bash build-dev/device_profile.sh  (writes $OUT/device_profile.txt)
set -u
dir=${BIN_DIR:-$(cd "$(dirname "$0")" && pwd)}
out=${OUT:-/tmp}/device_profile.txt
cores=$(nproc)
bin() { "$dir/lib/ld-linux-x86-64.so.2" --library-path "$dir/lib" "$dir/attnscope" "$@"; }
log() { echo "$*" | tee -a "$out"; }
: >"$out"
{ lscpu | grep -E 'Model name|^CPU\(s\)|Flags' | cut -c1-400; nproc; } | tee -a "$out"
for v in ${GEMM_VARIANTS:-0}; do
  log "== GEMM variant $v"
  ATTNSCOPE_GEMM_VARIANT=$v bin bench --gemm --tokens 128 --threads "$cores" --repeat 10 2>&1 | tee -a "$out"
done
for cell in ${PROFILE_CELLS:-"gpt2-small:128:1" "gpt2-small:128:$cores" "gpt2-small:1024:$cores"}; do
  IFS=: read -r shape tokens threads <<<"$cell"
  log "== profile $shape T=$tokens threads=$threads"
  bin bench --shape "$shape" --tokens "$tokens" --threads "$threads" --capture patterns \
    --repeat 5 --profile 2>&1 | tee -a "$out"
done
