#!/bin/bash
# Node ROC AUC of edge attribution patching (attnscope discover --method eap) on every bundled
# task against models/tasks/ground_truth.json. Usage: bash tests/bench/discover_table.sh [build]
set -euo pipefail
cd "$(dirname "$0")/../.."
B=${1:-build}
M=models/attnscope-tasks
T=models/tasks
echo "# $(date -u +%F) $(uname -m) $(nproc) cores; $B/attnscope $(git rev-parse --short HEAD)"
for task in induction ioi greater_than docstring; do
  echo "\$ $B/attnscope discover --method eap --model $M --positive $T/${task}_positive.jsonl --negative $T/${task}_negative.jsonl --ground-truth $T/ground_truth.json"
  "$B/attnscope" discover --method eap --model $M --positive $T/${task}_positive.jsonl \
    --negative $T/${task}_negative.jsonl --ground-truth $T/ground_truth.json 2>/dev/null |
    grep -E "AUC|time"
done
