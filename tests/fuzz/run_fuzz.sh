#!/usr/bin/env bash
# run_fuzz.sh TARGET SEED_DIR WORK_DIR SECONDS MAX_LEN — runs a libFuzzer target for SECONDS from
# a copy of its seeds (new inputs go to WORK_DIR/corpus, crashes to WORK_DIR/), then prints one
# line: "fuzz NAME: S s, N execs, cov C, ft F, corpus K, crashes X". Exit 0 only without findings.
set -u
target=$1 seeds=$2 work=$3 seconds=$4 max_len=$5
name=$(basename "$target")
mkdir -p "$work/corpus"
cp -n "$seeds"/* "$work/corpus/" 2>/dev/null
rm -f "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*
log=$work/log.txt
"$target" -max_total_time="$seconds" -max_len="$max_len" -rss_limit_mb=2048 -timeout=10 \
  -print_final_stats=1 -artifact_prefix="$work/" "$work/corpus" >"$log" 2>&1
code=$?
execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | awk '{print $2}')
last=$(grep -E '^#[0-9]+' "$log" | tail -1)
cov=$(grep -o 'cov: [0-9]*' <<<"$last" | awk '{print $2}')
ft=$(grep -o 'ft: [0-9]*' <<<"$last" | awk '{print $2}')
corpus=$(grep -o 'corp: [0-9]*' <<<"$last" | awk '{print $2}')
crashes=$(ls "$work" | grep -cE '^(crash|leak|timeout|oom)-')
echo "fuzz $name: $seconds s, ${execs:-0} execs, cov ${cov:-?}, ft ${ft:-?}, corpus ${corpus:-?}, crashes $crashes"
if [ $code -ne 0 ] || [ "$crashes" -ne 0 ]; then
  grep -E 'ERROR|SUMMARY|runtime error|==[0-9]+==' "$log" | head -20
  exit 1
fi
