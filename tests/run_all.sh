#!/usr/bin/env bash
# run_all.sh — every attnscope test: native (doctest, CLI, desktop under Xvfb), WASM under node,
# and the page in headless Chromium. Expects ./setup.sh to have built build/, build-wasm/ and
# build-wasm-mt/.
# Ends with one line "N passed, M failed" over all suites; exits non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
passed=0 failed=0

# ctest prints "…% tests passed, F tests failed out of N".
run_ctest() { # run_ctest LABEL BUILD_DIR [CTEST_ARGS...]
  local label=$1 dir=$2 log
  shift 2
  echo "== $label (ctest in $dir)"
  log=$(ctest --test-dir "$dir" --output-on-failure "$@" 2>&1)
  local code=$?
  echo "$log"
  local line; line=$(grep -E 'tests failed out of [0-9]+' <<<"$log" | tail -1)
  if [ -n "$line" ]; then
    local f n
    f=$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\1/' <<<"$line")
    n=$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\2/' <<<"$line")
    passed=$((passed + n - f)); failed=$((failed + f))
  else
    failed=$((failed + 1))
  fi
  [ $code -eq 0 ] || [ -n "$line" ] || echo "ctest in $dir did not run"
}

# node --test prints "# pass N" and "# fail N".
run_node_tests() { # run_node_tests LABEL FILES...
  local label=$1; shift
  echo "== $label (node --test)"
  local log; log=$(node --test "$@" 2>&1)
  local code=$?
  echo "$log"
  local p f
  p=$(grep -E '^# pass [0-9]+' <<<"$log" | tail -1 | awk '{print $3}')
  f=$(grep -E '^# fail [0-9]+' <<<"$log" | tail -1 | awk '{print $3}')
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-1}))
  if [ $code -ne 0 ] && [ "${f:-0}" = 0 ]; then failed=$((failed + 1)); fi
}

start=$(date +%s)
# The native unit tests run the WebGPU backend (Dawn from npm bun-webgpu-linux-x64) on whatever
# Vulkan adapter there is; with no GPU driver, SwiftShader's from Debian's chromium package.
# It must be there: setup.sh installs both.
if [ -z "${VK_ICD_FILENAMES:-}" ] && [ -f /usr/lib/chromium/vk_swiftshader_icd.json ]; then
  export VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json
fi
ATTNSCOPE_WEBGPU=required run_ctest "native" "$ROOT/build"
run_ctest "wasm (node)" "$ROOT/build-wasm"
# The threaded WASM build's WebGPU backend on the browser's device code, under node with
# dawn.node's navigator.gpu (same SwiftShader adapter): op table, parity on every fixture.
run_ctest "wasm threads + WebGPU (node)" "$ROOT/build-wasm-mt" -R '^wasm_webgpu$'
# AddressSanitizer + UndefinedBehaviorSanitizer (build-asan, clang): the unit tests (parity
# included), the CLI tests, and a 30 s libFuzzer smoke run of each target. setup.sh builds it.
if [ -d "$ROOT/build-asan" ]; then
  # Dawn is not instrumented: the sanitizer build leaves the WebGPU backend out.
  ATTNSCOPE_WEBGPU=off ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_ctest "asan+ubsan" "$ROOT/build-asan" \
    -R '^(unit|tokenizer_gpt2_reference|tokenizer_gpt2_parity|cli|fuzz_.*)$'
fi
run_node_tests "browser (headless Chromium)" "$ROOT"/tests/browser/*.test.mjs
echo "== all suites finished in $(( $(date +%s) - start )) s"
echo "attnscope: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
