#!/usr/bin/env bash
# device_fuzz.sh — every libFuzzer target at once, SECONDS each (issue 15 asks for >= 10 minutes),
# on a machine with a core per target: the GPU machine's 16 (tool library: device). The fuzzers
# (build-asan, clang ASan + UBSan) travel in a folder with the Debian libraries they link and
# their loader, as tests/bench/device_forward.sh does:
#   d=build-fuzz-dev; mkdir -p $d/lib; cp build-asan/tests/fuzz/fuzz_* $d/
#   for l in $(ldd build-asan/tests/fuzz/fuzz_config | grep -o '/[^ ]*'); do cp -L $l $d/lib/; done
#   run (carry build-fuzz-dev): bash tests/fuzz/device_fuzz.sh build-fuzz-dev 570
# Each target starts from its committed seeds, plus the corpora of an earlier run when its
# corpora.tar.gz is given (a run longer than one device call: the time adds up); one line per
# target in $OUT/fuzz_device.txt, the grown corpora in $OUT/corpora.tar.gz.
set -u
dir=$1 seconds=${2:-600} earlier=${3:-}
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${OUT:-/tmp}
export ATTNSCOPE_SOURCE_DIR=$root
{ lscpu | grep -E 'Model name|^CPU\(s\)'; date -u; } >"$out/fuzz_device.txt"
for target in "$dir"/fuzz_*; do
  name=$(basename "$target" | sed 's/^fuzz_//')
  max_len=4096
  case $name in tokenizer_json | config | sharded_index | task_files | safetensors) max_len=262144 ;; esac
  # The fuzzer runs under the carried loader and libraries (the machine's own glibc is older).
  if [ -n "$earlier" ]; then
    mkdir -p "$out/work/$name/corpus"
    tar -xzf "$earlier" -C "$out/work" "$name/corpus" 2>/dev/null
  fi
  wrapper=$out/run_$name.sh
  printf '#!/bin/sh\nexec "%s/lib/ld-linux-x86-64.so.2" --library-path "%s/lib" "%s" "$@"\n' \
    "$dir" "$dir" "$target" >"$wrapper"
  chmod +x "$wrapper"
  (bash "$root/tests/fuzz/run_fuzz.sh" "$wrapper" "$root/tests/fuzz/corpus/$name" "$out/work/$name" \
    "$seconds" "$max_len" | sed "s/run_$name.sh/fuzz_$name/" >"$out/line_$name.txt") &
done
wait
cat "$out"/line_*.txt >>"$out/fuzz_device.txt"
tar -czf "$out/corpora.tar.gz" -C "$out/work" $(cd "$out/work" && ls -d */corpus)
rm -rf "$out"/work "$out"/run_*.sh "$out"/line_*.txt
cat "$out/fuzz_device.txt"
