#!/usr/bin/env bash
# local_cpu.sh — issue 12's 2-core comparison: `attnscope bench` against a plain PyTorch GPT-2
# (tests/bench/torch_plain_gpt2.py, Debian's python3-torch on OpenBLAS, every pattern kept) on the
# same random-init GPT-2 small folder, T = 128 and 1024 tokens, 1 and 2 threads.
# Target: attnscope ≤ 0.8× torch's time.
#
#   apt-get install -y python3-torch libopenblas0-pthread
#   bash tests/bench/local_cpu.sh          # writes tests/bench/results/local_cpu.txt
#
# The torch peer runs --threads N OpenBLAS threads (the GEMMs) and torch.set_num_threads(TORCH_OMP,
# default 1) OpenMP threads for the rest: on 2 cores both thread pools spin, and torch's default
# (2 + 2) is several times slower than 2 + 1 (the script measures the set-ups first).
# Each cell alternates attnscope / torch / attnscope / torch (ROUNDS=2) so load spikes hit both;
# each run is a warm-up pass plus REPEAT timed passes and reports its median. The table gives,
# per tool, the median of its runs' medians, and the ratio attnscope / torch.
# Env: ATTNSCOPE (binary), PYTHON (a python3 with Debian's torch), MODEL_DIR, REPEAT, ROUNDS,
# OUTFILE, QUIET_MAX (seconds each run may first wait for no compiler running; default 0). The
# machine is shared: each cell logs uptime, each run the busiest processes before it and how many
# cores other processes kept busy while it ran (/proc/stat less the run's own CPU time).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
AS=${ATTNSCOPE:-/work/main/build/attnscope}
PY=${PYTHON:-/usr/bin/python3}
DIR=${MODEL_DIR:-/tmp/attnscope-gpt2-rand}
REPEAT=${REPEAT:-5}
ROUNDS=${ROUNDS:-2}
PEER="$here/torch_plain_gpt2.py"
out=${OUTFILE:-$here/results/local_cpu.txt}
rows=$(mktemp)
mkdir -p "$here/results"
: > "$out"
log() { echo "$*" | tee -a "$out"; }
cmd() { log "\$ $*"; "$@" 2>&1 | tee -a "$out"; }

log "# local_cpu.sh, $(date -u '+%F %T UTC'), worktree $(git -C "$here" rev-parse --short HEAD)"
log "cpu: $(lscpu | sed -n 's/^Model name: *//p'), nproc $(nproc)"
cmd "$AS" --version
log "binary: $AS, $(stat -c '%y' "$AS"), sha256 $(sha256sum "$AS" | cut -c1-16)"
cmd "$PY" -c 'import torch; print("torch", torch.__version__); print([l.strip() for l in torch.__config__.show().splitlines() if "BLAS" in l][0])'
log "BLAS library torch loads (Debian's torch links the generic libblas.so.3; the alternative picks it):"
cmd "$PY" -c 'import torch; torch.randn(64, 64) @ torch.randn(64, 64); print(sorted({l.split()[-1] for l in open("/proc/self/maps") if "blas" in l}))'
cmd readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3

if [ ! -f "$DIR/model.safetensors" ]; then cmd "$PY" "$PEER" --save "$DIR"; fi
log ""
log "## numerical agreement (same folder, 10 ids)"
ids=464,2068,7586,21831,18045,625,262,16931,3290,13
cmd "$AS" dump --model "$DIR" --ids "$ids" --out /tmp/local_cpu_dump.safetensors
cmd "$PY" "$PEER" --model "$DIR" --ids "$ids" --compare /tmp/local_cpu_dump.safetensors

busy() { top -bn1 -o %CPU | sed -n '8,10p' | awk '{printf "%s %s%%; ", $12, $9}'; }
COMPILERS='cc1plus|cc1|ld|clang.*|wasm-ld|wasm-opt|node|attnscope'
wait_quiet() {  # up to QUIET_MAX seconds for no compiler on the (shared) machine
  local waited=0
  while [ "$waited" -lt "${QUIET_MAX:-0}" ] && pgrep -x "$COMPILERS" >/dev/null 2>&1; do
    sleep 2; waited=$((waited + 2))
  done
  [ "${QUIET_MAX:-0}" -gt 0 ] && log "waited ${waited}s for no compiler (QUIET_MAX=${QUIET_MAX})"
  return 0
}
cpu_busy() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8}' /proc/stat; }  # all CPUs, 1/100 s
timed() {  # timed VAR CMD...: runs CMD into VAR; other_load: cores others kept busy meanwhile
  local tf b0 b1 w0 w1; tf=$(mktemp)
  b0=$(cpu_busy); w0=$(date +%s.%N)
  printf -v "$1" '%s' "$(/usr/bin/time -f '%U %S' -o "$tf" "${@:2}")"
  b1=$(cpu_busy); w1=$(date +%s.%N)
  other_load=$(awk -v b0="$b0" -v b1="$b1" -v w0="$w0" -v w1="$w1" \
    '{x = ((b1 - b0) / 100 - $1 - $2) / (w1 - w0); printf "%.2f", x < 0 ? 0 : x}' "$tf")
  log "cpu of this run: $(cat "$tf") s user/sys; other processes kept ${other_load} cores busy meanwhile"
  rm -f "$tf"
}
median_of() { "$PY" -c 'import json,sys; print(json.loads(sys.stdin.read())["median_ms"])'; }
cell() {  # cell T THREADS CAPTURE
  local T=$1 N=$2 CAP=$3 name="T=$1 threads=$2 capture=$3"
  log ""
  log "## $name"
  log "uptime: $(uptime)"
  for r in $(seq "$ROUNDS"); do
    local a=("$AS" bench --model "$DIR" --tokens "$T" --threads "$N" --capture "$CAP" --repeat "$REPEAT" --json)
    local t=("$PY" "$PEER" --model "$DIR" --omp-threads "${TORCH_OMP:-1}" --tokens "$T" --threads "$N" --repeat "$REPEAT" --json)
    local ja jt sa st
    wait_quiet; log "busiest processes: $(busy)"
    log "\$ ${a[*]}"
    timed ja "${a[@]}"; sa=$other_load; echo "$ja" | tr -d '\n ' | tee -a "$out"; echo | tee -a "$out"
    wait_quiet; log "busiest processes: $(busy)"
    log "\$ ${t[*]}"
    timed jt "${t[@]}"; st=$other_load; echo "$jt" | tee -a "$out"
    printf '%s\tattnscope\t%s\t%s\n%s\ttorch\t%s\t%s\n' "$name" "$(echo "$ja" | median_of)" "$sa" \
      "$name" "$(echo "$jt" | median_of)" "$st" >> "$rows"
  done
}
log ""
log "## torch's thread set-up at T=128, 2 threads (OpenBLAS pthreads beside torch's OpenMP threads:"
log "## both spin on 2 cores). The table's torch runs use --omp-threads \${TORCH_OMP:-1} = ${TORCH_OMP:-1}."
for policy in "" OMP_WAIT_POLICY=PASSIVE; do
  for omp in 2 1; do
    cmd env $policy "$PY" "$PEER" --model "$DIR" --tokens 128 --threads 2 --omp-threads "$omp" --repeat 3 --json
  done
done
cell 128 1 patterns
cell 128 2 patterns
cell 1024 1 patterns
cell 1024 1 none
cell 1024 2 patterns
cell 1024 2 none
log ""
log "uptime at end: $(uptime)"
log ""
log "## table (ms per forward: median over runs of each run's median; torch always keeps every"
log "## pattern; 'others': cores other processes (e.g. another build) kept busy during each run)"
"$PY" - "$rows" <<'EOF' | tee -a "$out"
import statistics, sys
cells = {}
for line in open(sys.argv[1]):
    name, tool, ms, busy = line.rstrip("\n").split("\t")
    cells.setdefault(name, {}).setdefault(tool, []).append((float(ms), busy))
print("| cell | attnscope ms | torch ms | ratio (target ≤ 0.8) | others, cores (attnscope runs / torch runs) |")
print("|---|---|---|---|---|")
for name, d in cells.items():
    a = statistics.median(m for m, _ in d["attnscope"])
    t = statistics.median(m for m, _ in d["torch"])
    busy = " ".join(str(b) for _, b in d["attnscope"]) + " / " + " ".join(str(b) for _, b in d["torch"])
    print(f"| {name} | {a:.1f} | {t:.1f} | {a / t:.2f} | {busy} |")
EOF
rm -f "$rows"
