#!/usr/bin/env bash
# device_amx_diag.sh — why attnscope's AMX products died of SIGILL on the GPU machine (issue 12),
# then device_amx.sh. Carried like device_amx.sh, with amx_diag, amx_probe and sigill_where.so
# (cc -O2 -shared -fPIC tests/bench/sigill_where.c -o sigill_where.so -ldl) beside the binaries:
#   d=/work/main/build-dev13; cp build/amx_diag build/amx_probe sigill_where.so tests/bench/device_amx_diag.sh $d/
#   run: bash build-dev13/device_amx_diag.sh   (prints; device_amx.sh writes $OUT/device_amx.txt)
set -u
dir=${BIN_DIR:-$(cd "$(dirname "$0")" && pwd)}
run_bin() { "$dir/lib/ld-linux-x86-64.so.2" --library-path "$dir/lib" "$@"; }
uname -r
echo "== amx_diag"
run_bin "$dir/amx_diag"
echo "== attnscope bench --matmul-precision high, with the SIGILL reporter"
run_bin --preload "$dir/sigill_where.so" "$dir/attnscope" bench --shape gpt2-small --tokens 32 \
  --threads 1 --repeat 1 --matmul-precision high --json 2>&1 | tail -3 | cut -c1-900
echo "== amx_probe (first lines)"
timeout 40 "$dir/lib/ld-linux-x86-64.so.2" --library-path "$dir/lib" "$dir/amx_probe" 2>&1 | head -5
[ -n "${DIAG_ONLY:-}" ] || ROUNDS=${ROUNDS:-2} timeout "${AMX_LIMIT:-200}" bash "$dir/device_amx.sh" >/dev/null 2>&1
