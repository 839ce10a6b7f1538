#!/usr/bin/env bash
# device_circuits.sh — tests/bench/circuit_table.sh's runs on the GPU machine's CPUs (tool
# library: device), which the full table needs (80 ACDC runs of about a minute each). The native
# CLI travels in build-dev/ with the Debian libraries it was linked against and is started
# through that loader, so the machine's own glibc does not matter:
#   mkdir -p build-dev/lib && strip -o build-dev/attnscope build/attnscope
#   cp -L $(ldd build/attnscope | awk '/=>/ { print $3 }') /lib64/ld-linux-x86-64.so.2 build-dev/lib/
#   device run, carry build-dev:  bash tests/bench/device_circuits.sh "induction ioi" [seeds] [s]
# It writes $OUT/circuits-<tasks>.tar.gz: every run's JSON and time, for
#   tar xzf … -C DIR && CIRCUIT_TABLE_DIR=DIR CIRCUIT_TABLE_PRINT_ONLY=1 \
#     bash tests/bench/circuit_table.sh build/attnscope 10 16   (the CLI path is checked even then)
# and stops the runs after s seconds (default 540: a device call may last 10 minutes) with what
# finished kept; a later call on the same (warm) machine skips the runs already there.
set -u
tasks=${1:-induction ioi greater_than docstring}
seeds=${2:-10}
limit=${3:-540}
dir=/tmp/circuit_runs
mkdir -p "$dir"
cat >build-dev/attnscope.sh <<'EOF'
#!/usr/bin/env bash
here=$(dirname "$(realpath "$0")")
exec "$here/lib/ld-linux-x86-64.so.2" --library-path "$here/lib" "$here/attnscope" "$@"
EOF
chmod +x build-dev/attnscope.sh
{ lscpu | grep -E 'Model name|^CPU\(s\)' ; nproc; } | tee "$dir/machine.txt"
CIRCUIT_TABLE_DIR=$dir CIRCUIT_TABLE_TASKS=$tasks timeout "$limit" \
  bash tests/bench/circuit_table.sh build-dev/attnscope.sh "$seeds" "$(nproc)"
echo "circuit_table exit $?; $(ls "$dir"/*.json | wc -l) runs kept"
tar czf "${OUT:-/tmp}/circuits-${tasks// /-}.tar.gz" -C "$dir" .
