#!/usr/bin/env bash
# memory_reuse.sh — what keeping freed memory (core/io/memory_reuse.h) saves a forward pass:
# `attnscope bench` with it (the default) and without (ATTNSCOPE_REUSE_MEMORY=off), alternating,
# each run under /usr/bin/time for its page faults and system time.
#   bash tests/bench/memory_reuse.sh [build/attnscope] [rounds]     (writes to stdout)
set -eu
bin=${1:-build/attnscope}
rounds=${2:-2}
echo "$(nproc) cores,$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
for cell in "1024 1 patterns" "1024 1 none" "1024 2 patterns" "1024 2 none" "128 1 patterns"; do
  read -r tokens threads capture <<<"$cell"
  repeat=$([ "$tokens" = 128 ] && echo 11 || echo 3)
  for round in $(seq "$rounds"); do
    for reuse in on off; do
      echo "\$ ATTNSCOPE_REUSE_MEMORY=$reuse attnscope bench --shape gpt2-small --tokens $tokens --threads $threads --capture $capture --repeat $repeat --json  (round $round)"
      ATTNSCOPE_REUSE_MEMORY=$reuse /usr/bin/time -f '{"minor_faults": %R, "system_s": %S, "wall_s": %e}' \
        "$bin" bench --shape gpt2-small --tokens "$tokens" --threads "$threads" --capture "$capture" \
        --repeat "$repeat" --json 2>&1 | tr -d '\n '
      echo
    done
  done
done
