#!/usr/bin/env bash
# device_cpu.sh — attnscope's CPU benchmarks and their PyTorch peers in one run on the GPU
# machine's CPUs (tool library: device). The native binaries travel in build-dev/ with the
# Debian libraries they were linked against, started through that loader so the machine's own
# glibc does not matter:
#   mkdir -p build-dev/lib && cp build/bench_sae build/bench_sweep build-dev/ && cp -L <libs> build-dev/lib/
#   run: bash tests/bench/device_cpu.sh   (writes $OUT/device_cpu.txt)
set -u
out=${OUT:-/tmp}/device_cpu.txt
run() { echo "\$ $*" | tee -a "$out"; "$@" 2>&1 | tee -a "$out"; }
bin() { build-dev/lib/ld-linux-x86-64.so.2 --library-path build-dev/lib "build-dev/$1" "${@:2}"; }
: > "$out"
{ lscpu | grep -E 'Model name|^CPU\(s\)|Flags' | cut -c1-300; nproc; } | tee -a "$out"
cores=$(nproc)
for threads in 1 "$cores"; do
  echo "== attnscope, ATTNSCOPE_THREADS=$threads" | tee -a "$out"
  ATTNSCOPE_THREADS=$threads run bin bench_sae --benchmark_filter='SaeCircuitPipeline|SaeTrainRandom|HeadActivations'
  echo "== torch peer, threads=$threads" | tee -a "$out"
  run python3 tests/bench/sae_torch_peer.py --threads "$threads"
done
for threads in 1 "$cores"; do
  echo "== forward pass, threads=$threads" | tee -a "$out"
  ATTNSCOPE_THREADS=$threads run bin bench_sweep --benchmark_filter=Forward
  run python3 tests/bench/forward_torch_peer.py --threads "$threads" --tokens 32 --no-attentions
done
