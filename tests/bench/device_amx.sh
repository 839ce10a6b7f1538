#!/usr/bin/env bash
# device_amx.sh — matmul precision "high" (bf16x3 on the AMX tiles, core/ops/amx_gemm.h) on the GPU
# machine's CPU (tool library: device), which has AMX:
#   1. the unit tests on the CPU's own tiles: the AMX cases (tiles against their emulation, and
#      parity with transformers on the F32 fixtures at precision high), then the whole unit suite;
#   2. gpt2-small T = 128 on one thread — issue 12's unmet cell — alternating attnscope at "high",
#      attnscope at "highest" (float32 products), the PyTorch peer, and PyTorch with its own AMX
#      setting (torch.backends.mkldnn.matmul.fp32_precision = bf16: one bfloat16 part, less
#      accurate; the peer prints how far it moves the logits) for $ROUNDS rounds;
#   3. the three ways of asking for the next weights (ATTNSCOPE_AMX_PREFETCH), and one profiled
#      pass at each precision.
# It travels like device_forward.sh: a folder with the binaries, their Debian libraries and
# loader, and the peer beside them:
#   d=/work/main/build-dev13; mkdir -p $d/lib; cp build/attnscope build/attnscope_unit_tests $d/
#   strip $d/attnscope $d/attnscope_unit_tests
#   cp tests/bench/device_amx.sh tests/bench/device_forward.sh tests/bench/forward_torch_peer.py \
#      tests/bench/forward_table.py $d/
#   for l in $(ldd build/attnscope_unit_tests | grep -o '/[^ ]*'); do cp -L $l $d/lib/; done
#   run (carry build-dev13): bash build-dev13/device_amx.sh   (writes $OUT/device_amx.txt)
# The unit tests find their fixtures under the source folder they were built in (BUILT_IN, the
# build's source folder); it is linked to this checkout when it does not exist here.
set -u
dir=${BIN_DIR:-$(cd "$(dirname "$0")" && pwd)}
out=${OUT:-/tmp}/device_amx.txt
rounds=${ROUNDS:-3}
built_in=${BUILT_IN:-/tmp/ci}
run_bin() { "$dir/lib/ld-linux-x86-64.so.2" --library-path "$dir/lib" "$dir/$1" "${@:2}"; }
log() { echo "$*" | tee -a "$out"; }
one_line() { tr -d '\n ' | tee -a "$out"; echo | tee -a "$out"; }
: >"$out"
log "== machine"
{ lscpu | grep -E 'Model name|^CPU\(s\)|L2|L3'; nproc; } | tee -a "$out"
log "matrix extensions: $(grep -o -w -E 'amx_[a-z0-9]+|avx512_bf16|avx512f' /proc/cpuinfo | sort -u | tr '\n' ' ')"
[ -e "$built_in" ] || ln -s "$PWD" "$built_in"
if [ -z "${SKIP_TESTS:-}" ]; then
  log "== unit tests (matmul precision high: the AMX tiles)"
  log "\$ attnscope_unit_tests -tc='amx*,*AMX tiles*' -s"
  run_bin attnscope_unit_tests -tc='amx*,*AMX tiles*' -s 2>&1 | grep -E 'MESSAGE|ERROR|test cases|assertions|worst' | tee -a "$out"
  log "\$ attnscope_unit_tests   (every case)"
  run_bin attnscope_unit_tests 2>&1 | grep -E 'ERROR|test cases|assertions|Status' | head -40 | tee -a "$out"
fi
log "== warm-up (not recorded)"
for i in 1 2 3; do run_bin attnscope bench --gemm --tokens 128 --threads "$(nproc)" --repeat 10 >/dev/null 2>&1; done
log "== gpt2-small T=128 threads=1"
for round in $(seq "$rounds"); do
  for precision in high highest; do
    log "\$ attnscope bench --shape gpt2-small --tokens 128 --threads 1 --capture patterns --repeat 11 --matmul-precision $precision --json"
    run_bin attnscope bench --shape gpt2-small --tokens 128 --threads 1 --capture patterns --repeat 11 \
      --matmul-precision "$precision" --json 2>&1 | one_line
  done
  log "\$ python3 forward_torch_peer.py --shape gpt2-small --tokens 128 --threads 1 --repeat 11 --json"
  python3 "$dir/forward_torch_peer.py" --shape gpt2-small --tokens 128 --threads 1 --repeat 11 --json 2>&1 | tail -1 | tee -a "$out"
  log "\$ python3 forward_torch_peer.py --shape gpt2-small --tokens 128 --threads 1 --repeat 11 --mkldnn-fp32-precision bf16 --json"
  python3 "$dir/forward_torch_peer.py" --shape gpt2-small --tokens 128 --threads 1 --repeat 11 \
    --mkldnn-fp32-precision bf16 --json 2>&1 | tail -1 | tee -a "$out"
done
log "== the weights of the next outputs asked for ahead: ATTNSCOPE_AMX_PREFETCH 0 none, 1 into L1, 2 into L2 (default)"
for round in 1 2; do
  for hint in 0 1 2; do
    log "\$ ATTNSCOPE_AMX_PREFETCH=$hint attnscope bench --shape gpt2-small --tokens 128 --threads 1 --capture patterns --repeat 11 --matmul-precision high --json"
    ATTNSCOPE_AMX_PREFETCH=$hint run_bin attnscope bench --shape gpt2-small --tokens 128 --threads 1 \
      --capture patterns --repeat 11 --matmul-precision high --json 2>&1 | one_line
  done
done
for precision in high highest; do
  log "== profile gpt2-small T=128 threads=1, matmul precision $precision"
  run_bin attnscope bench --shape gpt2-small --tokens 128 --threads 1 --capture patterns --repeat 5 \
    --matmul-precision "$precision" --profile 2>&1 | tee -a "$out"
done
