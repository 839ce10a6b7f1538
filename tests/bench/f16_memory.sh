#!/usr/bin/env bash
# f16_memory.sh — peak resident memory of `attnscope bench` on an F16 GPT-2-small checkpoint
# against the weight file's size (issue 12: at most 1.3x, plus captured activations). The
# checkpoint is written by make_f16_gpt2.py (standard library only), so this runs anywhere.
#   bash tests/bench/f16_memory.sh [build/attnscope]      (writes to stdout)
set -eu
bin=${1:-build/attnscope}
dir=${TMPDIR:-/tmp}/attnscope-gpt2-small-f16
python3 "$(dirname "$0")/make_f16_gpt2.py" "$dir"
file=$(stat -c %s "$dir/model.safetensors")
echo "model.safetensors: $file bytes ($(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2))"
for capture in none patterns; do
  echo "\$ attnscope bench --model $dir --tokens 128 --threads 2 --capture $capture --repeat 2 --json"
  json=$("$bin" bench --model "$dir" --tokens 128 --threads 2 --capture "$capture" --repeat 2 --json)
  echo "$json" | tr -d '\n '
  echo
  python3 -c 'import json,sys; j=json.loads(sys.argv[1]); f=int(sys.argv[2]); p=j["peak_rss_mb"]*1048576; c=j["captured_mb"]*1048576
print(f"peak RSS {p/1e6:.0f} MB = {p/f:.2f} x the file; less the captured activations: {(p-c)/f:.2f} x")' "$json" "$file"
done
